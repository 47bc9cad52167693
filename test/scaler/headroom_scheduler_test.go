package scaler_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestHeadroomFollowsThePackingScheduler: placeholders use
// podTemplate.schedulerName only while that scheduler holds its Lease, as
// job pods do; a pending placeholder made for the other scheduler is
// replaced (one waiting for a scheduler that stopped would never be
// scheduled), and bound ones stay.
func TestHeadroomFollowsThePackingScheduler(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, ciPoolsPolicy+`headroom:
  enabled: true
  perArch: {amd64: {min: 2, max: 2}}
  podTemplate: {schedulerName: jobfit-binpack}
`)
	schedulers := func() []string {
		var out []string
		for _, p := range placeholders(ctx, t, h.ns) {
			out = append(out, p.Spec.SchedulerName)
		}
		return out
	}
	h.reconcileHeadroom(ctx, t)
	assert.Equal(t, []string{"default-scheduler", "default-scheduler"}, schedulers(), "no Lease: the default scheduler")

	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "jobfit-binpack"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("jobfit-binpack-0"), LeaseDurationSeconds: ptr.To[int32](15),
			RenewTime: &metav1.MicroTime{Time: h.clock.Now()}}}
	require.NoError(t, k8s.Create(ctx, lease))
	h.reconcileHeadroom(ctx, t)
	assert.Equal(t, []string{"jobfit-binpack", "jobfit-binpack"}, schedulers(), "held: pending placeholders are remade for it")

	h.clock.Step(6 * time.Second)
	h.reconcileHeadroom(ctx, t)
	assert.Equal(t, []string{"default-scheduler", "default-scheduler"}, schedulers(), "not renewed for a third of its duration: back to the default scheduler")
}
