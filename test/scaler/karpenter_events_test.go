package scaler_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/fallback"
)

// karpenterEvent creates an Event about pod as Karpenter v1.14's recorder
// writes one (a core/v1 Event from the component "karpenter"); component
// "default-scheduler" makes it kube-scheduler's instead.
func karpenterEvent(ctx context.Context, t *testing.T, pod *corev1.Pod, component, reason string, at time.Time) {
	t.Helper()
	e := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: pod.Name + ".", Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID,
			ResourceVersion: pod.ResourceVersion},
		Reason:         reason,
		Message:        `Failed to schedule pod, incompatible with nodepool "ci-spot", no instance type satisfied resources {"cpu":"1100m","pods":"1"} and requirements karpenter.sh/capacity-type In [spot]`,
		Source:         corev1.EventSource{Component: component},
		FirstTimestamp: metav1.NewTime(at), LastTimestamp: metav1.NewTime(at), Count: 1,
		Type: corev1.EventTypeWarning,
	}
	if reason == "Nominated" {
		e.Type, e.Message = corev1.EventTypeNormal, "Pod should schedule on: nodeclaim/ci-spot-abcde"
	}
	require.NoError(t, k8s.Create(ctx, e))
}

// TestKarpenterUnschedulableDegradesAtOnce: with every spot offering gone
// (insufficient capacity held by Karpenter's offering cache, or a region
// without spot for the pool), Karpenter creates no NodeClaim that could
// fail; it says FailedScheduling on the pod. That degrades the arch's spot
// at the next pass, long before pendingAfter.
func TestKarpenterUnschedulableDegradesAtOnce(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, signalsPolicy)
	now := h.clock.Now()

	arm := h.jobPod(ctx, t, "arm64", v1alpha1.CapacitySpot, "1")
	unschedulable(ctx, t, arm, now)
	amd := h.jobPod(ctx, t, "amd64", v1alpha1.CapacitySpot, "1")
	unschedulable(ctx, t, amd, now)
	// kube-scheduler says FailedScheduling for every pod waiting for a node.
	karpenterEvent(ctx, t, arm, "default-scheduler", "FailedScheduling", now)
	karpenterEvent(ctx, t, amd, "default-scheduler", "FailedScheduling", now)
	h.pass(ctx, t)
	_, written := capacityStatus(ctx, t, h.ns)
	assert.False(t, written, "kube-scheduler's events are no evidence")

	// Karpenter gives up on both; the amd64 one is then nominated (a spot
	// offering came back), so only arm64 is evidence.
	karpenterEvent(ctx, t, arm, "karpenter", "FailedScheduling", now.Add(2*time.Second))
	karpenterEvent(ctx, t, amd, "karpenter", "FailedScheduling", now.Add(2*time.Second))
	karpenterEvent(ctx, t, amd, "karpenter", "Nominated", now.Add(4*time.Second))
	h.clock.SetTime(now.Add(10 * time.Second))
	h.pass(ctx, t)
	st, written := capacityStatus(ctx, t, h.ns)
	require.True(t, written)
	require.True(t, st.IsDegraded("arm64", v1alpha1.CapacitySpot), "arm64 spot is degraded 10 s in, not after 3m: %+v", st)
	assert.False(t, st.IsDegraded("amd64", v1alpha1.CapacitySpot), "a nominated pod is no evidence")
	assert.Equal(t, fallback.CauseUnschedulable, st.Degraded[0].Cause)
	assert.Contains(t, st.Degraded[0].Reason, "Karpenter could not schedule 1 spot-pinned arm64 job pods")
	assert.Equal(t, int32(100), weight(ctx, t, "ci-on-demand"), "the on-demand pool's weight is raised")
}

// TestWatchSeesKarpenterEvents runs a whole scaler manager, wired as
// `jobfit scaler` wires it: its cache holds Karpenter's Events through a
// field selector (source=karpenter) that the API server must accept, and a
// FailedScheduling Event triggers a pass.
func TestWatchSeesKarpenterEvents(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	ns := "jobfit-events-" + rand.String(5)
	ciNS := "ci-events-" + rand.String(5)
	require.NoError(t, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ciNS}}))
	startScalerWithSignalsPolicy(ctx, t, ns)

	h := &harness{ciNS: ciNS}
	pod := h.jobPod(ctx, t, "arm64", v1alpha1.CapacitySpot, "1")
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), pod) })
	unschedulable(ctx, t, pod, time.Now())
	karpenterEvent(ctx, t, pod, "karpenter", "FailedScheduling", time.Now())

	var st v1alpha1.CapacityStatus
	require.Eventually(t, func() bool {
		st, _ = capacityStatus(ctx, t, ns)
		return st.IsDegraded("arm64", v1alpha1.CapacitySpot)
	}, 30*time.Second, 100*time.Millisecond, "arm64 spot is degraded from Karpenter's Event")
	assert.Equal(t, fallback.CauseUnschedulable, st.Degraded[0].Cause)
}

// TestPlaceholderKarpenterCannotRelaunchDegradesAtOnce: a job preempts a
// spot placeholder and starts at once; the placeholder, pending again,
// is the first pod to ask Karpenter for spot capacity. When Karpenter says
// it cannot schedule it, the arch's spot is degraded before any job waits.
func TestPlaceholderKarpenterCannotRelaunchDegradesAtOnce(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, signalsPolicy+`headroom:
  enabled: true
  perArch:
    amd64: {min: 1, max: 1}
  podTemplate: {cpu: 500m, memory: 1Gi, tolerations: [{key: ci.example.com/runner, operator: Exists}]}
`)
	h.reconcileHeadroom(ctx, t)
	pods := placeholders(ctx, t, h.ns)
	require.Len(t, pods, 1)
	h.pass(ctx, t)
	_, written := capacityStatus(ctx, t, h.ns)
	assert.False(t, written, "a pending placeholder alone is no evidence")

	karpenterEvent(ctx, t, &pods[0], "karpenter", "FailedScheduling", h.clock.Now())
	h.pass(ctx, t)
	st, written := capacityStatus(ctx, t, h.ns)
	require.True(t, written)
	require.True(t, st.IsDegraded("amd64", v1alpha1.CapacitySpot), "%+v", st)
	assert.Equal(t, fallback.CauseUnschedulable, st.Degraded[0].Cause)
	assert.Contains(t, st.Degraded[0].Reason, "Karpenter could not schedule 1 spot amd64 headroom placeholders")

	h.reconcileHeadroom(ctx, t)
	pods = placeholders(ctx, t, h.ns)
	require.Len(t, pods, 1)
	assert.Equal(t, v1alpha1.CapacityOnDemand, pods[0].Spec.NodeSelector[v1alpha1.LabelCapacityType], "the pending spot placeholder is replaced by an on-demand one")
}
