package headroom

import (
	"jobfit.dev/jobfit/scaler/pressure"
)

// NodeRoom is what one node of an arch can still take: its allocatable
// resources and the requests of every pod bound to it (job pods,
// placeholders, daemons).
type NodeRoom struct {
	Allocatable, Used pressure.Size
}

// FreeSlots counts the pods of size that fit in the room left on nodes,
// node by node (room split over two nodes does not fit a pod). A size with
// no CPU or no memory counts nothing: the slots would be unbounded.
//
// Pending job pods are not taken off: they are already in the demand
// whose growth the headroom covers, and the room they take shows once they
// are bound. Taking them off made the count jump with every burst and
// fall back a moment later when the burst took the placeholders' room,
// creating placeholders (and nodes for them) that were deleted at once.
func FreeSlots(nodes []NodeRoom, size pressure.Size) int {
	if size.MilliCPU <= 0 || size.Memory <= 0 {
		return 0
	}
	n := 0
	for _, r := range nodes {
		cpu := r.Allocatable.MilliCPU - r.Used.MilliCPU
		mem := r.Allocatable.Memory - r.Used.Memory
		if cpu <= 0 || mem <= 0 {
			continue
		}
		n += int(min(cpu/size.MilliCPU, mem/size.Memory))
	}
	return n
}
