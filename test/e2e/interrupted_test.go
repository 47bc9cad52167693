//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/cmd/jobfit/app"
	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler"
	"jobfit.dev/jobfit/test/corpus"
)

// startScaler runs jobfit's scaler in-process, as its ServiceAccount under
// the shipped RBAC, with the shipped ScalerPolicy, as `jobfit scaler` runs
// it (without leader election: it is the only replica).
func startScaler(ctx context.Context, t *testing.T, s *stack.Stack) {
	t.Helper()
	require.NoError(t, stack.CreateFromFile(ctx, s.Client, "../../manifests/examples/policies/scaler.yaml"))
	scheme := runtime.NewScheme()
	require.NoError(t, scaler.AddToScheme(scheme))
	o := &app.ScalerOptions{Namespace: stack.JobfitNamespace, HeadroomNamespace: "jobfit-headroom", MetricsBindAddress: "0",
		HealthProbeBindAddress: "0", SyncPeriod: 2 * time.Second}
	mgr, err := ctrl.NewManager(stack.AsServiceAccount(s.Config, stack.JobfitNamespace, "jobfit-scaler"), app.ScalerManagerOptions(o, scheme))
	require.NoError(t, err)
	mctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	_, err = scaler.Setup(mctx, mgr, scaler.Options{Namespace: o.Namespace, HeadroomNamespace: o.HeadroomNamespace, SyncPeriod: o.SyncPeriod})
	require.NoError(t, err)
	go func() { _ = mgr.Start(mctx) }()
}

// runJob creates pod and waits until it runs on a node; it returns the pod
// as stored and its node.
func runJob(ctx context.Context, t *testing.T, s *stack.Stack, pod *corev1.Pod) (*corev1.Pod, *corev1.Node) {
	t.Helper()
	c := s.Client
	require.Eventually(t, func() bool { return c.Create(ctx, pod.DeepCopy()) == nil }, timeout, poll, "jobfit ready and the pod created")
	got := &corev1.Pod{}
	if !assert.Eventually(t, func() bool {
		return c.Get(ctx, client.ObjectKeyFromObject(pod), got) == nil && got.Spec.NodeName != "" && got.Status.Phase == corev1.PodRunning
	}, timeout, poll, "the pod runs on a node Karpenter provisioned") {
		t.Fatalf("pod %s on %q, conditions %+v\n%s", got.Status.Phase, got.Spec.NodeName, got.Status.Conditions, s.Logs())
	}
	node := &corev1.Node{}
	require.NoError(t, c.Get(ctx, types.NamespacedName{Name: got.Spec.NodeName}, node))
	return got, node
}

// TestInterruptedJobRetriesOnDemand: a job runs on a spot node; the node is
// interrupted (its NodeClaim deleted, as the AWS provider's interruption
// controller does on a spot interruption warning); the scaler lists the job
// as interrupted; GitLab's retry of the job (a new job id, the same name in
// the same pipeline) is placed on on-demand and runs on an on-demand node.
func TestInterruptedJobRetriesOnDemand(t *testing.T) {
	ctx := context.Background()
	s := startCluster(ctx, t)
	c := s.Client
	startScaler(ctx, t, s)

	first := corpus.Read(t, "../../webhook/testdata/job-pod-v18.11.yaml").Pod
	first.Namespace, first.Name = runners, first.Name+"-try1"
	ran, node := runJob(ctx, t, s, first)
	require.Equal(t, "spot", node.Labels[karpv1.CapacityTypeLabelKey], "the first attempt runs on spot")
	ref, ok := policy.JobRefOf(ran)
	require.True(t, ok)

	var claims karpv1.NodeClaimList
	require.NoError(t, c.List(ctx, &claims))
	var claim *karpv1.NodeClaim
	for i := range claims.Items {
		if claims.Items[i].Status.NodeName == node.Name {
			claim = &claims.Items[i]
		}
	}
	require.NotNil(t, claim, "the NodeClaim of node %s", node.Name)
	require.NoError(t, c.Delete(ctx, claim))

	var status v1alpha1.CapacityStatus
	require.Eventually(t, func() bool {
		cm := &corev1.ConfigMap{}
		if c.Get(ctx, types.NamespacedName{Namespace: stack.JobfitNamespace, Name: v1alpha1.CapacityStatusName}, cm) != nil {
			return false
		}
		st, err := v1alpha1.ParseCapacityStatus([]byte(cm.Data[v1alpha1.CapacityStatusKey]))
		status = st
		_, listed := st.Interrupted(ref)
		return err == nil && listed
	}, timeout, poll, "the scaler lists the job as interrupted")
	j, _ := status.Interrupted(ref)
	assert.Equal(t, "spot", j.CapacityType)
	assert.Equal(t, node.Name, j.Node)
	assert.Equal(t, "SpotInterruption", j.Cause)
	// The runner gives up on the pod; GitLab marks the job
	// runner_system_failure and, with retry: when: runner_system_failure,
	// creates a new job of the same name, which the runner starts.
	require.NoError(t, client.IgnoreNotFound(c.Delete(ctx, ran, client.GracePeriodSeconds(0))))

	retry := corpus.Read(t, "../../webhook/testdata/job-pod-v18.11.yaml").Pod
	retry.Namespace, retry.Name = runners, retry.Name+"-try2"
	retry.Annotations["job.runner.gitlab.com/id"] = "987654400"
	got, retryNode := runJob(ctx, t, s, retry)
	assert.Equal(t, "on-demand", got.Spec.NodeSelector[karpv1.CapacityTypeLabelKey])
	assert.Equal(t, "on-demand", retryNode.Labels[karpv1.CapacityTypeLabelKey], "the retry runs on an on-demand node")
	assert.Equal(t, "ci-on-demand", retryNode.Labels[karpv1.NodePoolLabelKey])
	rec, ok := policy.ReadRecord(got.Annotations)
	require.True(t, ok)
	for _, d := range rec.Decisions {
		if d.Mutation == policy.MutCapacity {
			assert.Contains(t, d.Source, "retry of a job interrupted on spot at ")
		}
	}
}
