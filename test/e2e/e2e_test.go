//go:build e2e

// Package e2e runs jobfit's webhook in a cluster that provisions nodes:
// kube-apiserver and etcd (envtest), kube-scheduler, Karpenter with its
// kwok cloud provider and kwok, all built from Go modules
// (hack/build-control-plane.sh, hack/build-e2e-tools.sh) and started by
// hack/stack, which the replay tool hack/sim shares. Only shipped files
// are used: jobfit installed from manifests/default, the EKS example policy,
// and the example NodePools with their ci.example.com/runner taint (only
// their nodeClassRef points at a KWOKNodeClass). A GitLab job pod created
// in an opted-in namespace is mutated by jobfit, found unschedulable by the
// scheduler, given a node by Karpenter, and scheduled onto it; the test
// checks the node has the arch, capacity type and pool jobfit chose.
// TestInterruptedJobRetriesOnDemand adds jobfit's scaler and interrupts the
// spot node of a running job: the job's retry runs on an on-demand node.
// TestPackingSchedulerGetsANode runs the shipped packing scheduler too: a
// job pod that names it gets a Karpenter node and is bound by it, also
// after the scheduler was killed and restarted.
// TestSimSmoke replays a few minutes of CI jobs with hack/sim, in all three
// modes.
//
//	make e2e
package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/hack/sim/cluster"
	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/test/corpus"
)

const (
	runners = "gitlab-runner"
	timeout = 90 * time.Second
	poll    = 250 * time.Millisecond
)

func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard())
	os.Exit(m.Run())
}

func TestJobPodsGetNodesOfTheirArch(t *testing.T) {
	ctx := context.Background()
	s := startCluster(ctx, t)
	c := s.Client

	for _, tc := range []struct {
		name, arch, capacity, nodePool string
		// vars are job variables added to the build container.
		vars map[string]string
	}{
		{name: "arm64 from the runner's tags, spot by default", arch: "arm64", capacity: "spot", nodePool: "ci-spot"},
		{name: "amd64 and on-demand from job variables", arch: "amd64", capacity: "on-demand", nodePool: "ci-on-demand",
			vars: map[string]string{"JOBFIT_ARCH": "amd64", "JOBFIT_CAPACITY_TYPE": "on-demand"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := corpus.Read(t, "../../webhook/testdata/job-pod-v18.11.yaml").Pod
			pod.Namespace = runners
			pod.Name += "-" + tc.arch
			for k, v := range tc.vars {
				pod.Spec.Containers[0].Env = append(pod.Spec.Containers[0].Env, corev1.EnvVar{Name: k, Value: v})
			}
			got := runOnANode(ctx, t, s, pod)
			require.Contains(t, got.Annotations, v1alpha1.AppliedAnnotation)
			require.NotEmpty(t, got.Annotations["karpenter.sh/do-not-disrupt"], "consolidation must not evict the job")
			require.Equal(t, tc.arch, got.Spec.NodeSelector[corev1.LabelArchStable])
			require.Contains(t, got.Spec.InitContainers[0].Image, "gitlab-runner-helper:"+map[string]string{"arm64": "arm64", "amd64": "x86_64"}[tc.arch]+"-v18.11.4")
			node := &corev1.Node{}
			require.NoError(t, c.Get(ctx, types.NamespacedName{Name: got.Spec.NodeName}, node))
			require.Equal(t, tc.arch, node.Labels[corev1.LabelArchStable])
			require.Equal(t, tc.capacity, node.Labels["karpenter.sh/capacity-type"])
			require.Equal(t, tc.nodePool, node.Labels["karpenter.sh/nodepool"])
			require.Contains(t, node.Spec.Taints, corev1.Taint{Key: "ci.example.com/runner", Value: "true", Effect: corev1.TaintEffectNoSchedule},
				"the shipped pool's taint is on the node, and the shipped policy made the pod tolerate it")
			require.Contains(t, got.Spec.Tolerations, corev1.Toleration{Key: "ci.example.com/runner", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule})
			require.Equal(t, "fake", node.Annotations["kwok.x-k8s.io/node"])
		})
	}
}

// startCluster starts the stack with jobfit's webhook installed as
// `kubectl apply -k manifests/default` installs it, the shipped EKS policy,
// an opted-in runner namespace and the shipped NodePools; it skips the test
// without the tools.
func startCluster(ctx context.Context, t *testing.T) *stack.Stack {
	t.Helper()
	return startClusterWith(ctx, t, nil)
}

// startClusterWith is startCluster with the packing scheduler running too
// when binpack is set.
func startClusterWith(ctx context.Context, t *testing.T, binpack *stack.BinpackOptions) *stack.Stack {
	t.Helper()
	if why := stack.NoStackTools(); why != "" {
		t.Skip(why)
	}
	dir := t.TempDir()
	// Karpenter's kwok provider offers AWS-like instance types, so the
	// shipped NodePools' karpenter.k8s.aws/* requirements can be met.
	instanceTypes := filepath.Join(dir, "instance-types.json")
	require.NoError(t, cluster.WriteInstanceTypes(instanceTypes, cluster.Catalog(true)))
	s, err := stack.Start(ctx, stack.Options{Assets: os.Getenv(stack.AssetsEnv), Tools: os.Getenv(stack.ToolsEnv),
		KarpenterArgs: []string{"--instance-types-file-path=" + instanceTypes, "--batch-idle-duration=100ms", "--batch-max-duration=1s"},
		Binpack:       binpack})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Stop() })
	c := s.Client

	// jobfit as `kubectl apply -k manifests/default` installs it, with the
	// shipped EKS policy. The webhook runs in-process in place of the
	// Deployment's pods, as its ServiceAccount, so the shipped RBAC and
	// admission policies decide what it may do.
	shipped, err := stack.Manifests{}.Kustomize("default")
	require.NoError(t, err)
	install := make([]client.Object, 0, len(shipped))
	for _, o := range shipped {
		install = append(install, o)
	}
	hostIP, err := stack.NonLoopbackIPv4()
	require.NoError(t, err)
	port := freePort(t)
	require.NoError(t, stack.InstallObjects(ctx, c, install, hostIP, port))
	require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: runners, Labels: map[string]string{v1alpha1.InjectLabel: v1alpha1.InjectEnabled}}}))
	require.NoError(t, stack.CreateFromFile(ctx, c, "../../manifests/examples/policies/eks-karpenter.yaml"))
	mgr, err := stack.NewManager(stack.AsServiceAccount(s.Config, stack.JobfitNamespace, "jobfit-webhook"),
		stack.Replica{Port: port, CertDir: filepath.Join(s.Dir, "certs"), MetricsAddr: "0", ProbeAddr: "0"})
	require.NoError(t, err)
	mctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go func() { _ = mgr.Start(mctx) }()

	// The shipped NodePools, tainted ci.example.com/runner, with only their
	// nodeClassRef pointed at a KWOKNodeClass (see hack/sim/cluster).
	pools, err := cluster.NodePools("../../manifests", 1)
	require.NoError(t, err)
	require.NoError(t, stack.CreateObjects(ctx, c, append(pools, cluster.NodeClass(time.Second, 1))...))
	// The webhook fails open: until it serves (certificate, caBundle,
	// policy), a job pod would be created unmutated. Wait for it with dry
	// runs, as the replay does.
	probe := corpus.Read(t, "../../webhook/testdata/job-pod-v18.11.yaml").Pod
	probe.Namespace = runners
	require.Eventually(t, func() bool {
		p := probe.DeepCopy()
		return c.Create(ctx, p, client.DryRunAll) == nil && p.Annotations[v1alpha1.AppliedAnnotation] != ""
	}, timeout, poll, "jobfit's webhook mutates job pods")
	return s
}

func freePort(t *testing.T) int {
	t.Helper()
	port, err := stack.FreePort()
	require.NoError(t, err)
	return port
}

// runOnANode creates pod (retrying until jobfit is ready to admit it) and
// waits until it runs on a node; it fails the test with the stack's logs if
// it does not.
func runOnANode(ctx context.Context, t *testing.T, s *stack.Stack, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	c := s.Client
	require.Eventually(t, func() bool { return c.Create(ctx, pod.DeepCopy()) == nil }, timeout, poll, "jobfit ready and the pod created")
	got := &corev1.Pod{}
	running := assert.Eventually(t, func() bool {
		if c.Get(ctx, types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}, got) != nil {
			return false
		}
		return got.Spec.NodeName != "" && got.Status.Phase == corev1.PodRunning
	}, timeout, poll, "the pod runs on a node Karpenter provisioned")
	if !running {
		t.Fatalf("pod %s on %q, conditions %+v\n%s", got.Status.Phase, got.Spec.NodeName, got.Status.Conditions, s.Logs())
	}
	return got
}
