package integration

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/webhook/certs"
)

const (
	runners   = "gitlab-runner" // labelled jobfit.dev/inject=enabled
	unlabeled = "other-runner"  // not opted in
	clusterCM = "jobfit-cluster-policy"
	nsCM      = "jobfit-policy"
)

var clusterLabels = map[string]string{v1alpha1.PolicyLabel: "cluster"}

// TestWebhook walks through issue 3's acceptance list against one
// kube-apiserver. The subtests run in order and build on each other: each
// leaves the policies as it found them.
func TestWebhook(t *testing.T) {
	ctx := context.Background()
	cfg := startAPIServer(t)
	c, err := client.New(cfg, client.Options{})
	require.NoError(t, err)
	port := freePort(t)
	require.NoError(t, stack.Manifests{}.Install(ctx, c, hostIP, port))
	// The PriorityClass GitLab Runner's pause pods use.
	require.NoError(t, c.Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "gitlab-runner-idle-capacity"}, Value: -5}))
	for name, labels := range map[string]map[string]string{runners: {v1alpha1.InjectLabel: v1alpha1.InjectEnabled}, unlabeled: nil} {
		require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}))
	}
	j := startJobfit(t, cfg, port)

	t.Run("not ready before a valid cluster policy", func(t *testing.T) {
		require.Never(t, j.ready, 2*poll*10, poll)
		// The metrics registry is the process's: count from what earlier
		// runs (go test -count=N) left.
		require.Eventually(t, j.metricsUp, timeout, poll)
		loaded := max(j.metric(t, `jobfit_policy_loads_total{kind="cluster",result="ok"}`), 0)
		applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, clusterPolicy(t, "", ""))
		require.Eventually(t, j.ready, timeout, poll, "ready once the cluster policy is loaded and the certificate is in place")
		assert.Equal(t, loaded+1, j.metric(t, `jobfit_policy_loads_total{kind="cluster",result="ok"}`))
	})

	t.Run("selection", func(t *testing.T) {
		pod := jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-sel00001")
		require.NoError(t, c.Create(ctx, pod))
		assert.Equal(t, "arm64", pod.Spec.NodeSelector["kubernetes.io/arch"], "arch from the runner's tags")
		assert.Equal(t, "spot", pod.Spec.NodeSelector["karpenter.sh/capacity-type"])
		assert.Equal(t, "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:arm64-v18.11.4", pod.Spec.Containers[1].Image)
		assert.Equal(t, "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:arm64-v18.11.4", pod.Spec.InitContainers[0].Image)
		assert.True(t, mutated(pod), "carries %s", v1alpha1.AppliedAnnotation)
		assert.Equal(t, "runner", pod.Labels["gitlab-role"])

		other := jobPod(t, unlabeled, "runner-zx8kqw2nv-project-4711-concurrent-0-sel00002")
		require.NoError(t, c.Create(ctx, other))
		assert.False(t, mutated(other), "namespace not opted in")
		assert.Empty(t, other.Spec.NodeSelector)

		pause := pausePod(t, runners)
		require.NoError(t, c.Create(ctx, pause))
		assert.True(t, mutated(pause), "GitLab Runner's pause pods are placed like its jobs")
		assert.Equal(t, "amd64", pause.Spec.NodeSelector["kubernetes.io/arch"], "no job mix yet: the policy's default")
		assert.GreaterOrEqual(t, j.metric(t, `jobfit_admission_requests_total{result="mutated"}`), 1.0)
		assert.GreaterOrEqual(t, j.metric(t, `jobfit_mutations_total{mutation="arch"}`), 1.0)
	})

	t.Run("pause pods", func(t *testing.T) { testPausePods(ctx, t, c) })

	t.Run("dry run", func(t *testing.T) {
		pod := createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-dry00001"))
		assert.True(t, mutated(pod))
		assert.Equal(t, "arm64", pod.Spec.NodeSelector["kubernetes.io/arch"])
		err := c.Get(ctx, client.ObjectKeyFromObject(pod), &corev1.Pod{})
		assert.True(t, apierrors.IsNotFound(err), "a dry run stores nothing: %v", err)
	})

	t.Run("the README's dry-run recipe with the shipped example pod", func(t *testing.T) {
		dryRunShippedPod(ctx, t, c)
	})

	t.Run("capacity status", func(t *testing.T) {
		status := map[string]string{v1alpha1.CapacityStatusKey: "degraded:\n- arch: arm64\n  capacityType: spot\n  since: \"2026-11-23T12:00:00Z\"\n  reason: spot pods pending longer than 2m\n"}
		applyConfigMap(ctx, t, c, jobfitNamespace, v1alpha1.CapacityStatusName, nil, status)
		require.Eventually(t, func() bool {
			pod := createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-cap00001"))
			return pod.Spec.NodeSelector["karpenter.sh/capacity-type"] == "on-demand"
		}, timeout, poll, "arm64 spot degraded sends the next arm64 pod to on-demand")

		require.NoError(t, c.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNamespace, Name: v1alpha1.CapacityStatusName}}))
		require.Eventually(t, func() bool {
			pod := createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-cap00002"))
			return pod.Spec.NodeSelector["karpenter.sh/capacity-type"] == "spot"
		}, timeout, poll, "back on spot once the status is gone")
	})

	t.Run("hot reload", func(t *testing.T) {
		applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, clusterPolicy(t, "default: spot", "default: on-demand"))
		require.Eventually(t, func() bool {
			pod := createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-hot00001"))
			return pod.Spec.NodeSelector["karpenter.sh/capacity-type"] == "on-demand"
		}, timeout, poll, "the next pod follows the updated policy, without a restart")
	})

	t.Run("bad policy edit", func(t *testing.T) {
		rejected := j.metric(t, `jobfit_policy_loads_total{kind="cluster",result="invalid"}`)
		applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, clusterPolicy(t, `max: {cpu: "8"`, `max: {cpu: "eight"`))
		require.Eventually(t, func() bool {
			return eventFor(ctx, t, c, jobfitNamespace, clusterCM, v1alpha1.ReasonPolicyRejected) != ""
		}, timeout, poll, "a Warning Event on the ConfigMap")
		assert.Contains(t, eventFor(ctx, t, c, jobfitNamespace, clusterCM, v1alpha1.ReasonPolicyRejected), "resources.max[cpu]")
		assert.Equal(t, max(rejected, 0)+1, j.metric(t, `jobfit_policy_loads_total{kind="cluster",result="invalid"}`))

		pod := createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-bad00001"))
		assert.Equal(t, "on-demand", pod.Spec.NodeSelector["karpenter.sh/capacity-type"], "the last good policy stays in force")
		assert.True(t, j.ready(), "still ready")

		applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, clusterPolicy(t, "", ""))
		require.Eventually(t, func() bool {
			pod := createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-bad00002"))
			return pod.Spec.NodeSelector["karpenter.sh/capacity-type"] == "spot"
		}, timeout, poll)
	})

	t.Run("namespace policy", func(t *testing.T) {
		testNamespacePolicy(ctx, t, c)
	})

	t.Run("certificates", func(t *testing.T) {
		testCertificateRotation(ctx, t, c, j)
	})

	t.Run("fail open", func(t *testing.T) {
		j.stop()
		require.Eventually(t, func() bool { return j.servedCert() == nil }, timeout, poll, "the webhook is down")
		pod := jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-down0001")
		require.NoError(t, c.Create(ctx, pod), "failurePolicy Ignore: pods are still created")
		assert.False(t, mutated(pod))
	})
}

func testNamespacePolicy(ctx context.Context, t *testing.T, c client.Client) {
	labels := map[string]string{v1alpha1.PolicyLabel: "namespace"}
	newPod := func(name string) *corev1.Pod {
		return withoutBuildRequests(jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-"+name))
	}
	buildCPU := func(pod *corev1.Pod) string {
		return pod.Spec.Containers[0].Resources.Requests.Cpu().String()
	}
	require.Equal(t, "500m", buildCPU(createDryRun(ctx, t, c, newPod("nsp00001"))), "the cluster default")

	// capacity is not in the cluster policy's namespaceOverrides.
	applyConfigMap(ctx, t, c, runners, nsCM, labels, map[string]string{v1alpha1.PolicyDataKey: "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\ncapacity: {default: on-demand}\n"})
	require.Eventually(t, func() bool {
		return eventFor(ctx, t, c, runners, nsCM, v1alpha1.ReasonPolicyRejected) != ""
	}, timeout, poll)
	assert.Contains(t, eventFor(ctx, t, c, runners, nsCM, v1alpha1.ReasonPolicyRejected), "capacity")
	pod := createDryRun(ctx, t, c, newPod("nsp00002"))
	assert.Equal(t, "spot", pod.Spec.NodeSelector["karpenter.sh/capacity-type"], "a section the cluster does not open is not overridden")

	// resources is open, but not beyond the cluster's cap of 8 CPUs.
	applyConfigMap(ctx, t, c, runners, nsCM, labels, map[string]string{v1alpha1.PolicyDataKey: "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nresources:\n  defaults:\n    build:\n      requests: {cpu: \"16\", memory: 2Gi}\n"})
	require.Eventually(t, func() bool {
		return buildCPU(createDryRun(ctx, t, c, newPod("nsp00003"))) == "8"
	}, timeout, poll, "clamped to the cluster cap")
	// The Event is written by the recorder in the background, after the
	// policy is in force.
	require.Eventually(t, func() bool {
		return strings.Contains(eventFor(ctx, t, c, runners, nsCM, v1alpha1.ReasonPolicyClamped), "resources.defaults.build.requests.cpu=16 clamped to the cluster cap 8")
	}, timeout, poll, "a PolicyClamped Event names the clamped field")
	assert.Equal(t, "2Gi", createDryRun(ctx, t, c, newPod("nsp00004")).Spec.Containers[0].Resources.Requests.Memory().String())
	other := createDryRun(ctx, t, c, withoutBuildRequests(jobPod(t, unlabeled, "runner-zx8kqw2nv-project-4711-concurrent-0-nsp00005")))
	assert.False(t, mutated(other))

	require.NoError(t, c.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: runners, Name: nsCM}}))
	require.Eventually(t, func() bool {
		return buildCPU(createDryRun(ctx, t, c, newPod("nsp00006"))) == "500m"
	}, timeout, poll, "back to the cluster policy")
}

func testCertificateRotation(ctx context.Context, t *testing.T, c client.Client, j *jobfit) {
	opts := certs.Options{Namespace: jobfitNamespace}.Default()
	secretKey := types.NamespacedName{Namespace: jobfitNamespace, Name: opts.SecretName}
	for i, r := range []certs.Rotation{certs.RotateServingCert, certs.RotateCA} {
		secret := &corev1.Secret{}
		require.NoError(t, c.Get(ctx, secretKey, secret))
		old := secret.Data[corev1.TLSCertKey]
		require.Equal(t, pemToDER(t, old), j.servedCert())

		require.NoError(t, certs.ForceRotation(ctx, c, opts, r))
		var rotated []byte
		require.Eventually(t, func() bool {
			require.NoError(t, c.Get(ctx, secretKey, secret))
			rotated = secret.Data[corev1.TLSCertKey]
			return len(rotated) > 0 && string(rotated) != string(old)
		}, timeout, poll, "a new certificate is issued")
		require.Eventually(t, func() bool { return string(j.servedCert()) == string(pemToDER(t, rotated)) },
			timeout, poll, "the running server presents the new certificate")
		if r == certs.RotateCA {
			// The Secret and the caBundle are two writes: the second may
			// land a moment after the first.
			mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
			require.Eventually(t, func() bool {
				require.NoError(t, c.Get(ctx, types.NamespacedName{Name: opts.WebhookConfigName}, mwc))
				return string(secret.Data["ca.crt"]) == string(mwc.Webhooks[0].ClientConfig.CABundle)
			}, timeout, poll, "the caBundle trusts the new CA")
		}
		// The API server may hold connections to the old certificate for a
		// moment; admission keeps working once it reconnects.
		require.Eventually(t, func() bool {
			return mutated(createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-crt0000"+string(rune('1'+i)))))
		}, timeout, poll, "admission works through the rotated certificate without a restart")
	}
}
