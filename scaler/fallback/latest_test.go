package fallback_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/fallback"
)

func TestLatest(t *testing.T) {
	var l fallback.Latest
	_, ready := l.Get()
	assert.False(t, ready, "not ready before the fallback ran")

	st := fallback.State{Degraded: []v1alpha1.DegradedCapacity{{Arch: "arm64", CapacityType: v1alpha1.CapacitySpot}}}
	l.Set(st)
	got, ready := l.Get()
	assert.True(t, ready)
	assert.Equal(t, st, got)

	l.Set(fallback.State{})
	got, ready = l.Get()
	assert.True(t, ready, "an empty state is still a state")
	assert.Empty(t, got.Degraded)
}
