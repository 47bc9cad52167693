package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const binpack = "jobfit-binpack"

// binpackPolicy is the shipped EKS + Karpenter policy, which names the
// packing scheduler (scheduling.schedulerName: jobfit-binpack).
func binpackPolicy(t *testing.T) map[string]string {
	t.Helper()
	data := clusterPolicy(t, "", "")
	require.Contains(t, data[v1alpha1.PolicyDataKey], "schedulerName: "+binpack)
	return data
}

// TestPackingSchedulerFailSafe: the webhook hands job pods to the packing
// scheduler only while its leader-election Lease (jobfit-system/
// jobfit-binpack) is held. With no Lease, a released one (a scheduler
// stopped cleanly) or a lapsed one (a crash), every pod keeps the default
// scheduler, is admitted with a warning, and is counted by
// jobfit_missing_references_total{kind="Scheduler"}; the policy gets a
// PolicyReferenceMissing Event. No pod is ever left naming a scheduler
// that is not there.
func TestPackingSchedulerFailSafe(t *testing.T) {
	ctx := context.Background()
	cfg := startAPIServer(t)
	c, err := client.New(cfg, client.Options{})
	require.NoError(t, err)
	port := freePort(t)
	// The webhook runs as its ServiceAccount with the shipped RBAC: reading
	// the Lease is one of its permissions.
	asWebhook := installAsShipped(ctx, t, cfg, c, port)
	applyConfigMap(ctx, t, c, jobfitNamespace, clusterCM, clusterLabels, binpackPolicy(t))
	j := startJobfit(t, asWebhook, port)
	require.Eventually(t, j.ready, timeout, poll)
	seen := &warnings{}
	wcfg := rest.CopyConfig(cfg)
	wcfg.WarningHandler = seen
	var wc client.Client
	wc, err = client.New(wcfg, client.Options{})
	require.NoError(t, err)

	n := 0
	create := func() *corev1.Pod {
		n++
		pod := jobPod(t, runners, fmt.Sprintf("runner-zx8kqw2nv-project-4711-concurrent-0-sch%05d", n))
		require.NoError(t, wc.Create(ctx, pod))
		require.True(t, mutated(pod), "pod %d is mutated", n)
		return pod
	}
	fallsBack := func(t *testing.T, why string) {
		t.Helper()
		before := max(j.metric(t, `jobfit_missing_references_total{kind="Scheduler"}`), 0)
		seen.take()
		for range 5 {
			pod := create()
			assert.Equal(t, "default-scheduler", pod.Spec.SchedulerName, why)
			assert.Equal(t, "arm64", pod.Spec.NodeSelector["kubernetes.io/arch"], "the rest of the policy applies")
		}
		assert.Equal(t, before+5, j.metric(t, `jobfit_missing_references_total{kind="Scheduler"}`))
		assert.Contains(t, strings.Join(seen.take(), "\n"), "Scheduler jobfit-binpack (scheduling.schedulerName) is not running")
	}
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNamespace, Name: binpack}}
	renew := func(holder string, at time.Time) {
		t.Helper()
		require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(lease), lease))
		lease.Spec.HolderIdentity, lease.Spec.RenewTime = ptr.To(holder), &metav1.MicroTime{Time: at}
		require.NoError(t, c.Update(ctx, lease))
	}
	packed := func() bool {
		n++
		pod := createDryRun(ctx, t, c, jobPod(t, runners, fmt.Sprintf("runner-zx8kqw2nv-project-4711-concurrent-0-sch%05d", n)))
		return pod.Spec.SchedulerName == binpack
	}

	t.Run("no Lease: the default scheduler", func(t *testing.T) {
		fallsBack(t, "no packing scheduler has ever run")
		require.Eventually(t, func() bool {
			return strings.Contains(eventFor(ctx, t, c, jobfitNamespace, clusterCM, "PolicyReferenceMissing"), "Scheduler jobfit-binpack")
		}, timeout, poll, "an Event on the policy")
	})

	t.Run("a held Lease: the packing scheduler", func(t *testing.T) {
		lease.Spec = coordinationv1.LeaseSpec{HolderIdentity: ptr.To("jobfit-binpack-7d9f8c6b5-x2x9q_0a1b"), LeaseDurationSeconds: ptr.To[int32](15),
			AcquireTime: &metav1.MicroTime{Time: time.Now()}, RenewTime: &metav1.MicroTime{Time: time.Now()}}
		require.NoError(t, c.Create(ctx, lease))
		require.Eventually(t, packed, timeout, poll)
		seen.take()
		pod := create()
		assert.Equal(t, binpack, pod.Spec.SchedulerName)
		assert.Empty(t, seen.take(), "no warning while it runs")
	})

	t.Run("released (a clean stop): the default scheduler at once", func(t *testing.T) {
		renew("", time.Now())
		require.Eventually(t, func() bool { return !packed() }, timeout, poll)
		fallsBack(t, "the scheduler released its Lease")
	})

	t.Run("lapsed (a crash): the default scheduler", func(t *testing.T) {
		renew("jobfit-binpack-7d9f8c6b5-x2x9q_0a1b", time.Now())
		require.Eventually(t, packed, timeout, poll)
		renew("jobfit-binpack-7d9f8c6b5-x2x9q_0a1b", time.Now().Add(-6*time.Second))
		require.Eventually(t, func() bool { return !packed() }, timeout, poll)
		fallsBack(t, "the Lease was not renewed for more than a third of its 15 s")
	})

	t.Run("a Lease of that name in another namespace does not count", func(t *testing.T) {
		require.NoError(t, c.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: runners, Name: binpack},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("impostor"), LeaseDurationSeconds: ptr.To[int32](3600),
				RenewTime: &metav1.MicroTime{Time: time.Now()}}}))
		fallsBack(t, "only jobfit's namespace holds scheduler Leases")
	})
}
