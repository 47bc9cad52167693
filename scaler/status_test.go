package scaler_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// TestCapacityStatusRoundTrip: what the scaler writes, cause and node
// classes included, is what the webhook reads; and a field that a newer
// scaler might add does not make the webhook drop the status.
func TestCapacityStatusRoundTrip(t *testing.T) {
	since := time.Date(2026, 3, 2, 9, 12, 31, 0, time.UTC)
	st := v1alpha1.CapacityStatus{
		Degraded: []v1alpha1.DegradedCapacity{{Arch: "arm64", CapacityType: v1alpha1.CapacitySpot, Since: since,
			Cause: "InsufficientCapacity", Reason: "NodeClaim ci-spot-x7k2p of NodePool ci-spot was deleted before launch: insufficient spot capacity"}},
		NodeClassesNotReady: []v1alpha1.NodeClassCondition{{Name: "ci", NodePools: []string{"ci-on-demand", "ci-spot"},
			Reason: "SubnetsNotReady", Message: "SubnetSelector did not match any Subnets", Since: since}},
	}
	body, err := st.Marshal()
	require.NoError(t, err)
	got, err := v1alpha1.ParseCapacityStatus(body)
	require.NoError(t, err)
	assert.Equal(t, st, got)

	newer := append([]byte("observedBy: jobfit-scaler-7d9f\n"), body...)
	got, err = v1alpha1.ParseCapacityStatus(newer)
	require.NoError(t, err, "an unknown field is ignored")
	assert.True(t, got.IsDegraded("arm64", v1alpha1.CapacitySpot))

	noSince, err := v1alpha1.CapacityStatus{NodeClassesNotReady: []v1alpha1.NodeClassCondition{{Name: "ci", Reason: "NotFound"}}}.Marshal()
	require.NoError(t, err)
	assert.NotContains(t, string(noSince), "since", "an unknown time is left out")

	_, err = v1alpha1.ParseCapacityStatus([]byte("degraded:\n- {arch: arm64, capacityType: cheap}\n"))
	assert.Error(t, err, "the entries the webhook acts on are still checked")
}
