package headroom_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"jobfit.dev/jobfit/scaler/headroom"
	"jobfit.dev/jobfit/scaler/pressure"
)

func TestFreeSlots(t *testing.T) {
	const gi = int64(1) << 30
	job := pressure.Size{MilliCPU: 600, Memory: gi + gi/8}
	node := func(cpu, mem, usedCPU, usedMem int64) headroom.NodeRoom {
		return headroom.NodeRoom{Allocatable: pressure.Size{MilliCPU: cpu, Memory: mem}, Used: pressure.Size{MilliCPU: usedCPU, Memory: usedMem}}
	}
	cases := []struct {
		name  string
		nodes []headroom.NodeRoom
		size  pressure.Size
		want  int
	}{
		{"no nodes", nil, job, 0},
		{"an empty 4-CPU node", []headroom.NodeRoom{node(3920, 6*gi, 0, 0)}, job, 5},
		{"memory is the tighter bound", []headroom.NodeRoom{node(3920, 2*gi, 0, 0)}, job, 1},
		{"room split over two nodes does not fit a pod", []headroom.NodeRoom{node(3920, 6*gi, 3500, gi), node(3920, 6*gi, 3500, gi)}, job, 0},
		{"a full node counts nothing, never negative", []headroom.NodeRoom{node(3920, 6*gi, 4000, 7*gi), node(3920, 6*gi, 0, 0)}, job, 5},
		{"a size without memory counts nothing", []headroom.NodeRoom{node(3920, 6*gi, 0, 0)}, pressure.Size{MilliCPU: 500}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, headroom.FreeSlots(tc.nodes, tc.size))
		})
	}
}
