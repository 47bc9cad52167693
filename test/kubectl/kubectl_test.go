package kubectl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/cmd/kubectl-jobfit/app"
	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/headroom"
)

const (
	runners = "gitlab-runner" // the example pod's namespace, opted in
	plain   = "plain"         // not opted in

	clusterPolicyFile = "../../manifests/examples/policies/eks-karpenter.yaml"
	scalerPolicyFile  = "../../manifests/examples/policies/scaler.yaml"
	examplePodFile    = "../../manifests/examples/pods/gitlab-runner-18.11-arm64-job.yaml"
	nodePoolsDir      = "../../manifests/examples/karpenter/"
)

// kubectlJobfit runs the plugin's command tree with args, as kubectl would
// run kubectl-jobfit, against the test cluster's kubeconfig.
func kubectlJobfit(t *testing.T, cl *cluster, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := app.NewCommand(genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut})
	cmd.SetArgs(append([]string{"--kubeconfig", cl.kubeconfig}, args...))
	require.NoError(t, cmd.ExecuteContext(context.Background()), errOut.String())
	return out.String()
}

func explain(t *testing.T, cl *cluster, namespace, name string) app.Explanation {
	t.Helper()
	var e app.Explanation
	require.NoError(t, json.Unmarshal([]byte(kubectlJobfit(t, cl, "-n", namespace, "explain", name, "-o", "json")), &e))
	return e
}

func examplePod(t *testing.T, namespace, name string, labels map[string]string) *corev1.Pod {
	t.Helper()
	b, err := os.ReadFile(examplePodFile)
	require.NoError(t, err)
	pod, err := policy.DecodePod(b)
	require.NoError(t, err)
	pod.Namespace, pod.Name = namespace, name
	for k, v := range labels {
		pod.Labels[k] = v
	}
	return pod
}

func shippedClusterPolicy(t *testing.T) *policy.Policy {
	t.Helper()
	b, err := os.ReadFile(clusterPolicyFile)
	require.NoError(t, err)
	p, errs := policy.Load(b)
	require.Empty(t, errs)
	return p
}

func TestKubectlJobfit(t *testing.T) {
	ctx := context.Background()
	cl := startCluster(t)
	c := cl.c
	for name, labels := range map[string]map[string]string{runners: {v1alpha1.InjectLabel: v1alpha1.InjectEnabled}, plain: nil} {
		require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}))
	}
	clusterCM := applyFile(ctx, t, c, clusterPolicyFile, &corev1.ConfigMap{}).(*corev1.ConfigMap)
	require.Eventually(t, func() bool {
		pod := examplePod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-ready001", nil)
		require.NoError(t, c.Create(ctx, pod, client.DryRunAll))
		_, ok := pod.Annotations[v1alpha1.AppliedAnnotation]
		return ok
	}, timeout, poll, "the webhook mutates job pods once its certificates and the cluster policy are in place")
	shipped := shippedClusterPolicy(t)
	mutated := examplePod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-mutated1", nil)
	require.NoError(t, c.Create(ctx, mutated))

	t.Run("explain a mutated pod", func(t *testing.T) {
		e := explain(t, cl, runners, mutated.Name)
		assert.Equal(t, app.VerdictMutated, e.Verdict)
		require.NotNil(t, e.Applied)
		assert.Equal(t, shipped.Name(), e.Applied.Policy)
		assert.Equal(t, shipped.Hash(), e.Applied.Hash)
		require.NotNil(t, e.Today)
		assert.True(t, e.Today.SamePolicy)
		assert.Empty(t, e.Today.Differences, "the same policy decides the same")
		assert.Empty(t, e.Notes)

		text := kubectlJobfit(t, cl, "-n", runners, "explain", mutated.Name)
		assert.Contains(t, text, "pod gitlab-runner/"+mutated.Name+": mutated")
		assert.Contains(t, text, "runner tags", "the source of the arch decision, as jobfit mutate -o explain prints it")
		assert.Contains(t, text, "helper-image")
	})

	t.Run("kubectl's context and namespace flags", func(t *testing.T) {
		// The current context points nowhere: --context must select the
		// working one, and its namespace stands in for -n.
		kc := writeKubeconfig(t, cl.cfg, runners)
		var e app.Explanation
		out := kubectlJobfit(t, &cluster{kubeconfig: kc}, "--context", "envtest", "explain", mutated.Name, "-o", "json")
		require.NoError(t, json.Unmarshal([]byte(out), &e))
		assert.Equal(t, app.VerdictMutated, e.Verdict)

		var errOut bytes.Buffer
		cmd := app.NewCommand(genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &bytes.Buffer{}, ErrOut: &errOut})
		cmd.SetArgs([]string{"--kubeconfig", kc, "--request-timeout", "2s", "explain", mutated.Name})
		assert.Error(t, cmd.ExecuteContext(ctx), "the current context's server does not answer")
	})

	t.Run("namespace not opted in", func(t *testing.T) {
		pod := examplePod(t, plain, "runner-zx8kqw2nv-project-4711-concurrent-0-plain001", nil)
		require.NoError(t, c.Create(ctx, pod))
		e := explain(t, cl, plain, pod.Name)
		assert.Equal(t, app.VerdictNotSent, e.Verdict)
		assert.Contains(t, e.Why, "namespaceSelector")
		assert.Contains(t, e.Why, "jobfit.dev/inject=enabled")
	})

	t.Run("pause pod placed like the runner's jobs", func(t *testing.T) {
		pod := examplePod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-pause001", map[string]string{v1alpha1.LabelPausePod: "true"})
		require.NoError(t, c.Create(ctx, pod))
		e := explain(t, cl, runners, pod.Name)
		assert.Equal(t, app.VerdictMutated, e.Verdict)
		require.NotNil(t, e.Today)
		assert.Empty(t, e.Today.Differences, "today's policy keeps what admission drew")
	})

	t.Run("today's policy decides differently", func(t *testing.T) {
		changed := clusterCM.DeepCopy()
		changed.Data[v1alpha1.PolicyDataKey] = replaceOnce(t, changed.Data[v1alpha1.PolicyDataKey], "default: spot", "default: on-demand")
		applyConfigMap(ctx, t, c, changed)
		e := explain(t, cl, runners, mutated.Name)
		assert.Equal(t, app.VerdictMutated, e.Verdict)
		require.NotNil(t, e.Today)
		assert.False(t, e.Today.SamePolicy)
		assert.Contains(t, e.Today.Differences, app.Difference{Mutation: policy.MutCapacity, Applied: "spot", Today: "on-demand"})
		assert.Contains(t, e.Notes, "today's policy "+e.Today.Policy+" (hash "+e.Today.Hash+") decides differently")
		applyConfigMap(ctx, t, c, clusterCM)
	})

	t.Run("status", func(t *testing.T) { testStatus(ctx, t, cl, shipped) })
	t.Run("status shows whether the packing scheduler runs", func(t *testing.T) { testStatusScheduler(ctx, t, cl, clusterCM) })
	t.Run("status lists job pods blocked by a volume", func(t *testing.T) { testBlockedByVolume(ctx, t, cl) })
	t.Run("doctor lints the runner's ConfigMaps", func(t *testing.T) { testDoctor(ctx, t, cl) })

	t.Run("failed open", func(t *testing.T) {
		cl.stop()
		pod := examplePod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-down0001", nil)
		require.NoError(t, c.Create(ctx, pod), "failurePolicy Ignore admits the pod while the webhook is down")
		e := explain(t, cl, runners, pod.Name)
		assert.Equal(t, app.VerdictNotMutated, e.Verdict)
		assert.Contains(t, e.Why, "failed open")
		require.NotNil(t, e.Today)
		assert.NotEmpty(t, e.Today.Decisions, "what jobfit would have decided")
	})
}

func testStatus(ctx context.Context, t *testing.T, cl *cluster, shipped *policy.Policy) {
	c := cl.c
	applyFile(ctx, t, c, scalerPolicyFile, &corev1.ConfigMap{})
	for _, f := range []string{"nodepool-ci-spot.yaml", "nodepool-ci-on-demand.yaml"} {
		applyFile(ctx, t, c, nodePoolsDir+f, &karpv1.NodePool{})
	}
	applyConfigMap(ctx, t, c, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: v1alpha1.CapacityStatusName},
		Data: map[string]string{v1alpha1.CapacityStatusKey: "degraded:\n- arch: arm64\n  capacityType: spot\n  since: \"2026-11-23T12:00:00Z\"\n  reason: spot pods pending longer than 3m\n" +
			"nodeClassesNotReady:\n- name: ci\n  nodePools: [ci-spot, ci-on-demand]\n  reason: SubnetsNotFound\n  message: no subnet matches the selector\n"},
	})
	createPlaceholders(ctx, t, c)
	// A namespace policy that overrides a section the cluster policy keeps.
	applyConfigMap(ctx, t, c, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: runners, Name: "jobfit-policy", Labels: map[string]string{v1alpha1.PolicyLabel: "namespace"}},
		Data:       map[string]string{v1alpha1.PolicyDataKey: "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\ncapacity:\n  default: on-demand\n"},
	})

	var s app.Status
	require.Eventually(t, func() bool {
		s = app.Status{}
		require.NoError(t, yaml.Unmarshal([]byte(kubectlJobfit(t, cl, "status", "-o", "yaml")), &s))
		return len(s.Policies) == 2 && s.Policies[1].LastRejected != nil &&
			s.Policies[0].LastLoaded != nil && strings.Contains(s.Policies[0].LastLoaded.Message, shipped.Hash())
	}, timeout, poll, "the webhook reloads the shipped cluster policy and records PolicyRejected on the namespace policy")

	cluster := s.Policies[0]
	assert.Equal(t, "cluster", cluster.Kind)
	assert.Equal(t, jobfitNS+"/jobfit-cluster-policy", cluster.ConfigMap)
	assert.Equal(t, shipped.Hash(), cluster.Hash)
	assert.True(t, cluster.InForce)
	ns := s.Policies[1]
	assert.Equal(t, runners+"/jobfit-policy", ns.ConfigMap)
	assert.False(t, ns.InForce)
	assert.Contains(t, s.Problems, "namespace policy in "+runners+": no valid policy, the webhook keeps its last good one: jobfit-policy: "+ns.Error)
	assert.Contains(t, ns.Error, "capacity")
	assert.Contains(t, ns.LastRejected.Message, "capacity", "the rejection names the field")

	assert.True(t, s.Webhook.Exists)
	assert.Empty(t, s.Webhook.Problems)
	require.Len(t, s.Webhook.CAs, 1)
	assert.True(t, s.Webhook.CAs[0].NotAfter.After(time.Now()))

	require.Len(t, s.Capacity.Degraded, 1)
	assert.Equal(t, "arm64", s.Capacity.Degraded[0].Arch)
	require.Len(t, s.Capacity.NodeClassesNotReady, 1)
	assert.Contains(t, s.Problems, "node class ci (NodePools ci-spot, ci-on-demand) is not Ready: SubnetsNotFound no subnet matches the selector")

	require.NotNil(t, s.Scaler)
	require.Len(t, s.Scaler.NodePools, 2)
	onDemand := s.Scaler.NodePools[1]
	assert.Equal(t, "ci-on-demand", onDemand.Name)
	assert.True(t, onDemand.Found)
	assert.Equal(t, "64", onDemand.Limits["cpu"])
	assert.NotEmpty(t, onDemand.Ceiling["cpu"])
	var arm64 *app.HeadroomStatus
	for i := range s.Scaler.Headroom {
		if s.Scaler.Headroom[i].Arch == "arm64" {
			arm64 = &s.Scaler.Headroom[i]
		}
	}
	require.NotNil(t, arm64)
	assert.Equal(t, app.HeadroomStatus{Arch: "arm64", Min: arm64.Min, Max: arm64.Max, ScheduledMin: arm64.ScheduledMin, Placeholders: 2, Running: 1, Pending: 1}, *arm64)

	text := kubectlJobfit(t, cl, "status")
	for _, want := range []string{shipped.Hash(), "webhook configuration jobfit: present", "arm64 spot degraded since 2026-11-23T12:00:00Z", "ci-on-demand", "problems:"} {
		assert.Contains(t, text, want)
	}
}

// createPlaceholders creates two arm64 headroom pods as the scaler builds
// them, one bound to a node.
func createPlaceholders(ctx context.Context, t *testing.T, c client.Client) {
	t.Helper()
	require.NoError(t, c.Create(ctx, headroom.PriorityClass()))
	require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: app.DefaultHeadroomNamespace}}))
	owner := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: app.DefaultHeadroomNamespace, Name: "jobfit-headroom"}}
	require.NoError(t, c.Create(ctx, owner))
	ref := metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID, Controller: ptr.To(true)}
	tmpl := v1alpha1.HeadroomPodTemplate{Image: "registry.k8s.io/pause:3.10", CapacityType: v1alpha1.CapacitySpot}
	size := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi")}
	for _, node := range []string{"", "ip-10-0-0-1"} {
		pod := headroom.Pod(tmpl, "arm64", app.DefaultHeadroomNamespace, size, ref)
		pod.Spec.NodeName = node
		require.NoError(t, c.Create(ctx, pod))
	}
}

func replaceOnce(t *testing.T, s, old, replacement string) string {
	t.Helper()
	require.Contains(t, s, old)
	return strings.Replace(s, old, replacement, 1)
}

// testStatusScheduler: with scheduling.schedulerName in the shipped cluster policy,
// status reports whether that scheduler holds its Lease, and a problem
// while it does not (job pods then fall back to the default scheduler).
func testStatusScheduler(ctx context.Context, t *testing.T, cl *cluster, clusterCM *corev1.ConfigMap) {
	c := cl.c
	require.Contains(t, clusterCM.Data[v1alpha1.PolicyDataKey], "schedulerName: jobfit-binpack", "the shipped policy names the packing scheduler")
	applyConfigMap(ctx, t, c, clusterCM)
	status := func() app.Status {
		var s app.Status
		require.NoError(t, yaml.Unmarshal([]byte(kubectlJobfit(t, cl, "status", "-o", "yaml")), &s))
		return s
	}
	s := status()
	require.NotNil(t, s.Scheduler)
	assert.Equal(t, app.SchedulerStatus{Name: "jobfit-binpack", Lease: jobfitNS + "/jobfit-binpack", Error: "no Lease: the scheduler has never run"}, *s.Scheduler)
	assert.Contains(t, s.Problems, "scheduler jobfit-binpack (scheduling.schedulerName) is not running (no Lease: the scheduler has never run): job pods fall back to the default scheduler")

	require.NoError(t, c.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: "jobfit-binpack"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("jobfit-binpack-7d9f8c6b5-x2x9q"), LeaseDurationSeconds: ptr.To[int32](15),
			RenewTime: &metav1.MicroTime{Time: time.Now()}}}))
	s = status()
	require.NotNil(t, s.Scheduler)
	assert.True(t, s.Scheduler.Running)
	assert.Equal(t, "jobfit-binpack-7d9f8c6b5-x2x9q", s.Scheduler.Holder)
	for _, p := range s.Problems {
		assert.NotContains(t, p, "jobfit-binpack")
	}
	assert.Contains(t, kubectlJobfit(t, cl, "status"), "scheduler jobfit-binpack (Lease "+jobfitNS+"/jobfit-binpack): running, held by jobfit-binpack-7d9f8c6b5-x2x9q")
}
