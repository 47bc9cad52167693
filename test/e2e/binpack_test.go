//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/test/corpus"
)

// TestPackingSchedulerGetsANode runs the shipped packing scheduler
// (manifests/binpack-scheduler/config.yaml, two leader-elected
// kube-schedulers) in the stack. A job pod that names it, as a runner's
// config.toml scheduler_name = "jobfit-binpack" does, is found
// unschedulable by it, given a node by Karpenter (kwok), and bound by it:
// its Scheduled event comes from the packing scheduler's profile, not the
// default scheduler.
func TestPackingSchedulerGetsANode(t *testing.T) {
	ctx := context.Background()
	s := startClusterWith(ctx, t, &stack.BinpackOptions{Config: "../../manifests/binpack-scheduler/config.yaml", Speed: 1})
	c := s.Client
	require.Equal(t, "jobfit-binpack", s.Binpack.SchedulerName)

	pod := corpus.Read(t, "../../webhook/testdata/job-pod-v18.11.yaml").Pod
	pod.Namespace = runners
	pod.Name += "-binpack"
	pod.Spec.SchedulerName = s.Binpack.SchedulerName
	got := runOnANode(ctx, t, s, pod)
	require.Equal(t, "jobfit-binpack", got.Spec.SchedulerName, "the webhook keeps the runner's scheduler")
	node := &corev1.Node{}
	require.NoError(t, c.Get(ctx, types.NamespacedName{Name: got.Spec.NodeName}, node))
	require.Equal(t, "fake", node.Annotations["kwok.x-k8s.io/node"], "a kwok node")
	require.NotEmpty(t, node.Labels["karpenter.sh/nodepool"], "launched by Karpenter")

	var scheduledBy []string
	require.Eventually(t, func() bool {
		var events eventsv1.EventList
		if c.List(ctx, &events, client.InNamespace(runners)) != nil {
			return false
		}
		scheduledBy = nil
		for _, e := range events.Items {
			if e.Regarding.Name == pod.Name && e.Reason == "Scheduled" {
				scheduledBy = append(scheduledBy, e.ReportingController)
			}
		}
		return len(scheduledBy) > 0
	}, timeout, poll, "the pod's Scheduled event")
	assert.Equal(t, []string{"jobfit-binpack"}, scheduledBy, "bound by the packing scheduler's profile")

	// The replay's kill: SIGKILL, so the Lease is not released; the
	// restarted processes take it over once it expires, and schedule again.
	lease := &coordinationv1.Lease{}
	key := types.NamespacedName{Namespace: s.Binpack.Namespace, Name: s.Binpack.Lease}
	require.NoError(t, c.Get(ctx, key, lease))
	holder := ptr.Deref(lease.Spec.HolderIdentity, "")
	require.NotEmpty(t, holder)
	require.NoError(t, s.Binpack.Kill())
	require.NoError(t, c.Get(ctx, key, lease))
	assert.Equal(t, holder, ptr.Deref(lease.Spec.HolderIdentity, ""), "a killed scheduler does not release its Lease")
	require.NoError(t, s.Binpack.Restart())
	require.Eventually(t, func() bool {
		return c.Get(ctx, key, lease) == nil && ptr.Deref(lease.Spec.HolderIdentity, holder) != holder
	}, timeout, poll, "a restarted scheduler takes the Lease over")

	second := pod.DeepCopy()
	second.Name += "-after-restart"
	require.NoError(t, c.Create(ctx, second))
	require.Eventually(t, func() bool {
		return c.Get(ctx, client.ObjectKeyFromObject(second), got) == nil && got.Status.Phase == corev1.PodRunning
	}, timeout, poll, "the restarted packing scheduler binds job pods again")
}
