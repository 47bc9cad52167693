package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// TestPolicySelection: which cluster policy is in force is never decided
// by the order of names, a stray invalid copy never blocks readiness, and
// every rejection lands as an Event, however large the policy.
func TestPolicySelection(t *testing.T) {
	ctx := context.Background()
	cfg, c, port := startWithRunners(ctx, t)
	capacity := func(name string) string {
		return createDryRun(ctx, t, c, jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-"+name)).Spec.NodeSelector["karpenter.sh/capacity-type"]
	}

	// A stray invalid copy that sorts before the real policy.
	applyConfigMap(ctx, t, c, jobfitNamespace, "a-stray-copy", clusterLabels, clusterPolicy(t, `max: {cpu: "8"`, `max: {cpu: "eight"`))
	applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, clusterPolicy(t, "", ""))
	j := startJobfit(t, cfg, port)

	t.Run("a stray invalid policy does not block readiness", func(t *testing.T) {
		require.Eventually(t, j.ready, timeout, poll, "ready with the one valid cluster policy")
		assert.Equal(t, "spot", capacity("sel00001"))
		require.Eventually(t, func() bool {
			return strings.Contains(eventFor(ctx, t, c, jobfitNamespace, "a-stray-copy", v1alpha1.ReasonPolicyRejected), "resources.max[cpu]")
		}, timeout, poll, "the stray copy is rejected with an Event naming the field")
	})

	t.Run("two valid cluster policies conflict", func(t *testing.T) {
		rejected := max(j.metric(t, `jobfit_policy_loads_total{kind="cluster",result="invalid"}`), 0)
		applyConfigMap(ctx, t, c, jobfitNamespace, "a-stray-copy", clusterLabels, clusterPolicy(t, "default: spot", "default: on-demand"))
		require.Eventually(t, func() bool {
			return eventFor(ctx, t, c, jobfitNamespace, "a-stray-copy", v1alpha1.ReasonPolicyConflict) != ""
		}, timeout, poll, "a PolicyConflict Event")
		assert.Contains(t, eventFor(ctx, t, c, jobfitNamespace, clusterCM, v1alpha1.ReasonPolicyConflict), "a-stray-copy, "+clusterCM)
		assert.Greater(t, j.metric(t, `jobfit_policy_loads_total{kind="cluster",result="invalid"}`), rejected, "JobfitPolicyRejected's counter moves")
		assert.Equal(t, "spot", capacity("sel00002"), "the last good policy stays in force; neither wins by name")
		assert.True(t, j.ready())

		second := startJobfit(t, cfg, freePort(t))
		require.Eventually(t, second.metricsUp, timeout, poll)
		require.Never(t, second.ready, 3*poll*10, poll, "a fresh replica has no last good policy and no single valid one")
		second.stop()

		require.NoError(t, c.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNamespace, Name: clusterCM}}))
		require.Eventually(t, func() bool { return capacity("sel00003") == "on-demand" }, timeout, poll, "the one left is put in force")
		require.NoError(t, c.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNamespace, Name: "a-stray-copy"}}))
		applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, clusterPolicy(t, "", ""))
		require.Eventually(t, func() bool { return capacity("sel00004") == "spot" }, timeout, poll)
	})

	t.Run("several YAML documents are rejected", func(t *testing.T) {
		data := clusterPolicy(t, "", "")
		data[v1alpha1.PolicyDataKey] += "---\napiVersion: jobfit.dev/v1alpha1\nkind: Policy\ncapacity: {default: on-demand}\n"
		applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, data)
		require.Eventually(t, func() bool {
			return strings.Contains(eventFor(ctx, t, c, jobfitNamespace, clusterCM, v1alpha1.ReasonPolicyRejected), "holds 2 documents")
		}, timeout, poll)
		assert.Equal(t, "spot", capacity("sel00005"))
		applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, clusterPolicy(t, "", ""))
	})

	t.Run("a rejection with many errors lands as an Event", func(t *testing.T) {
		var labels strings.Builder
		labels.WriteString("labels:\n")
		for i := range 300 {
			fmt.Fprintf(&labels, "  \"not a valid label name %d!\": x\n", i)
		}
		// A second cluster-labelled ConfigMap: invalid, so rejected, not a conflict.
		applyConfigMap(ctx, t, c, jobfitNamespace, "many-errors", clusterLabels,
			map[string]string{v1alpha1.PolicyDataKey: "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\n" + labels.String()})
		require.Eventually(t, func() bool {
			return eventFor(ctx, t, c, jobfitNamespace, "many-errors", v1alpha1.ReasonPolicyRejected) != ""
		}, timeout, poll, "the Event is accepted by the API server")
		note := eventFor(ctx, t, c, jobfitNamespace, "many-errors", v1alpha1.ReasonPolicyRejected)
		assert.LessOrEqual(t, len(note), 1024)
		assert.Contains(t, note, "labels")
		assert.Regexp(t, `and \d+ more`, note, "a count of the errors left out")
		assert.Equal(t, "spot", capacity("sel00006"), "the valid cluster policy stays in force")
	})

	t.Run("the capacity status is never read as a policy", func(t *testing.T) {
		// The audit's plant, written here as an admin (the shipped admission
		// policy refuses it to the scaler; test/rbac shows that): the
		// capacity status labelled as a cluster policy, with a valid one.
		applyConfigMap(ctx, t, c, jobfitNamespace, v1alpha1.CapacityStatusName, clusterLabels, clusterPolicy(t, "default: spot", "default: on-demand"))
		// Then one invalid admin edit, which used to put the planted one in force.
		applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, clusterPolicy(t, `max: {cpu: "8"`, `max: {cpu: "eight"`))
		require.Eventually(t, func() bool {
			return strings.Contains(eventFor(ctx, t, c, jobfitNamespace, clusterCM, v1alpha1.ReasonPolicyRejected), "resources.max[cpu]")
		}, timeout, poll)
		assert.Equal(t, "spot", capacity("cap00001"), "the last good policy stays in force, not the planted one")
		assert.Empty(t, eventFor(ctx, t, c, jobfitNamespace, v1alpha1.CapacityStatusName, v1alpha1.ReasonPolicyConflict))
		assert.Empty(t, eventFor(ctx, t, c, jobfitNamespace, v1alpha1.CapacityStatusName, v1alpha1.ReasonPolicyLoaded))
		require.NoError(t, c.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNamespace, Name: v1alpha1.CapacityStatusName}}))
		applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, clusterPolicy(t, "", ""))
	})

	t.Run("namespace policies: no winner by name either", func(t *testing.T) {
		nsLabels := map[string]string{v1alpha1.PolicyLabel: "namespace"}
		doc := func(cpu string) map[string]string {
			return map[string]string{v1alpha1.PolicyDataKey: "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nresources:\n  defaults:\n    build:\n      requests: {cpu: \"" + cpu + "\", memory: 1Gi}\n"}
		}
		buildCPU := func(name string) string {
			pod := withoutBuildRequests(jobPod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-"+name))
			return createDryRun(ctx, t, c, pod).Spec.Containers[0].Resources.Requests.Cpu().String()
		}
		// An invalid stray (capacity is not a namespace override) sorting first.
		applyConfigMap(ctx, t, c, runners, "a-stray", nsLabels, map[string]string{v1alpha1.PolicyDataKey: "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\ncapacity: {default: on-demand}\n"})
		applyConfigMap(ctx, t, c, runners, nsCM, nsLabels, doc("2"))
		require.Eventually(t, func() bool { return buildCPU("nsc00001") == "2" }, timeout, poll, "the one valid namespace policy is used")
		assert.NotEmpty(t, eventFor(ctx, t, c, runners, "a-stray", v1alpha1.ReasonPolicyRejected))

		applyConfigMap(ctx, t, c, runners, "a-stray", nsLabels, doc("3"))
		require.Eventually(t, func() bool {
			return eventFor(ctx, t, c, runners, "a-stray", v1alpha1.ReasonPolicyConflict) != ""
		}, timeout, poll, "two valid namespace policies are a conflict")
		assert.Equal(t, "2", buildCPU("nsc00002"), "the last good namespace policy stays in force")

		require.NoError(t, c.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: runners, Name: nsCM}}))
		require.Eventually(t, func() bool { return buildCPU("nsc00003") == "3" }, timeout, poll, "the one left is put in force")
	})
}
