package headroom_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"jobfit.dev/jobfit/scaler/headroom"
	"jobfit.dev/jobfit/scaler/pressure"
)

func TestFree(t *testing.T) {
	const gi = int64(1) << 30
	slot := pressure.Size{MilliCPU: 1000, Memory: 2 * gi}
	empty := headroom.NodeRoom{Allocatable: pressure.Size{MilliCPU: 4000, Memory: 8 * gi}} // 4 slots
	half := headroom.NodeRoom{Allocatable: empty.Allocatable, Used: pressure.Size{MilliCPU: 2000, Memory: 4 * gi}}
	pending := func(slots int64) pressure.Size {
		return pressure.Size{MilliCPU: slots * slot.MilliCPU, Memory: slots * slot.Memory}
	}
	cases := []struct {
		name           string
		ready, booting []headroom.NodeRoom
		pending        pressure.Size
		want           int
	}{
		{"ready nodes only, pending pods not taken off", []headroom.NodeRoom{half}, nil, pending(2), 2},
		{"a booting node's room counts", nil, []headroom.NodeRoom{empty}, pressure.Size{}, 4},
		{"less what the pending pods it was launched for take", nil, []headroom.NodeRoom{empty}, pending(3), 1},
		{"more pending than it holds counts nothing, never negative", nil, []headroom.NodeRoom{empty}, pending(6), 0},
		{"pending pods take ready room first", []headroom.NodeRoom{half}, []headroom.NodeRoom{empty}, pending(3), 2 + 3},
		{"pending pods that fit on ready nodes leave the booting room free", []headroom.NodeRoom{half}, []headroom.NodeRoom{empty}, pending(2), 2 + 4},
		{"a booting node already full counts nothing", nil, []headroom.NodeRoom{{Allocatable: empty.Allocatable, Used: empty.Allocatable}}, pressure.Size{}, 0},
		{"memory-heavy pending pods take more slots", nil, []headroom.NodeRoom{empty}, pressure.Size{MilliCPU: 1000, Memory: 6 * gi}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, headroom.Free(tc.ready, tc.booting, tc.pending, slot))
		})
	}
}

func TestPendingSlots(t *testing.T) {
	slot := pressure.Size{MilliCPU: 1000, Memory: 1000}
	assert.Equal(t, 0, headroom.PendingSlots(pressure.Size{}, slot))
	assert.Equal(t, 1, headroom.PendingSlots(pressure.Size{MilliCPU: 1, Memory: 1}, slot), "rounded up")
	assert.Equal(t, 3, headroom.PendingSlots(pressure.Size{MilliCPU: 1000, Memory: 2500}, slot), "the tighter resource")
	assert.Equal(t, 0, headroom.PendingSlots(pressure.Size{MilliCPU: 5000}, pressure.Size{MilliCPU: 1000}), "no memory in size: nothing")
}
