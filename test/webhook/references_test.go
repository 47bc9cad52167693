package integration

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// TestPolicyReferencesToMissingObjects reproduces the audit's first defect
// against a real API server: a cluster policy naming a PriorityClass that
// does not exist. Every job pod used to be refused ("no PriorityClass with
// name ... was found"); now each is created, mutated and unprioritised,
// with a warning, the metric and an Event on the policy, and once the
// class exists the next pod gets it. The same for a namespace policy's
// cache claim: no mount of a missing claim (the pod would wait for it until
// the runner's poll_timeout), and the mount once the claim exists.
func TestPolicyReferencesToMissingObjects(t *testing.T) {
	ctx := context.Background()
	cfg, c, port := startWithRunners(ctx, t)
	applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, clusterPolicy(t, "scheduling:\n", "scheduling:\n  priorityClassName: ci-jobs-missing\n"))
	j := startJobfit(t, cfg, port)
	require.Eventually(t, j.ready, timeout, poll)

	t.Run("a missing PriorityClass denies no pod", func(t *testing.T) {
		before := max(j.metric(t, `jobfit_missing_references_total{kind="PriorityClass"}`), 0)
		for i := range 20 {
			pod := jobPod(t, runners, fmt.Sprintf("runner-zx8kqw2nv-project-4711-concurrent-0-pcm%05d", i))
			require.NoError(t, c.Create(ctx, pod), "pod %d is admitted", i)
			assert.True(t, mutated(pod), "pod %d is mutated", i)
			assert.Empty(t, pod.Spec.PriorityClassName, "pod %d is unprioritised", i)
			assert.Equal(t, "arm64", pod.Spec.NodeSelector["kubernetes.io/arch"], "the rest of the policy applies")
		}
		assert.Equal(t, before+20, j.metric(t, `jobfit_missing_references_total{kind="PriorityClass"}`))
		require.Eventually(t, func() bool {
			return eventFor(ctx, t, c, jobfitNamespace, clusterCM, v1alpha1.ReasonPolicyReferenceMissing) != ""
		}, timeout, poll, "an Event on the policy")
		assert.Contains(t, eventFor(ctx, t, c, jobfitNamespace, clusterCM, v1alpha1.ReasonPolicyReferenceMissing), "PriorityClass ci-jobs-missing (scheduling.priorityClassName)")
	})

	t.Run("the next pod gets the class once it exists", func(t *testing.T) {
		require.NoError(t, c.Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "ci-jobs-missing"}, Value: 1000}))
		require.Eventually(t, func() bool {
			pod := createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-pcmlater"))
			return pod.Spec.PriorityClassName == "ci-jobs-missing" && pod.Spec.Priority != nil && *pod.Spec.Priority == 1000
		}, timeout, poll)
	})

	t.Run("a missing cache claim is not mounted", func(t *testing.T) {
		applyConfigMap(ctx, t, c, runners, nsCM, map[string]string{v1alpha1.PolicyLabel: "namespace"}, map[string]string{v1alpha1.PolicyDataKey: "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\n" +
			"caches: [{name: jobfit-cache, claimName: gitlab-cache, mountPath: /cache, containers: [helper]}]\n"})
		hasCache := func(name string) bool {
			pod := createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-"+name))
			for _, v := range pod.Spec.Volumes {
				if v.Name == "jobfit-cache" {
					return true
				}
			}
			return false
		}
		require.Eventually(t, func() bool {
			return eventFor(ctx, t, c, runners, nsCM, v1alpha1.ReasonPolicyReferenceMissing) != ""
		}, timeout, poll, "the watcher reports the missing claim when it loads the policy")
		assert.False(t, hasCache("pvc00001"))
		require.NoError(t, c.Create(ctx, &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Namespace: runners, Name: "gitlab-cache"},
			Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
				Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
		}))
		require.Eventually(t, func() bool { return hasCache("pvc00002") }, timeout, poll, "mounted once the claim exists")
	})
}
