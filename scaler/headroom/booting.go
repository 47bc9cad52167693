package headroom

import (
	"jobfit.dev/jobfit/scaler/pressure"
)

// Free counts the pods of size that the arch's nodes can take: the free
// slots on its ready nodes (FreeSlots) and the room of the nodes still
// booting (launched NodeClaims not yet initialized) that the pending pods
// will not take.
//
// A booting node was launched for pods that are pending now, placeholders
// or jobs, and they take its room once it joins. Only what they leave is
// free. Counted as nothing (as it was), a booting node's spare room was
// bought again: the count rose while nodes booted, and the extra
// placeholders made Karpenter launch more nodes, which then stayed.
// Counted in full, pending placeholders would look redundant while their
// own node boots and be deleted, and Karpenter's node with them.
//
// Pending pods first take the free slots of ready nodes (kube-scheduler
// binds them there at once); only the rest wait for booting nodes.
func Free(ready, booting []NodeRoom, pending, size pressure.Size) int {
	free := FreeSlots(ready, size)
	boot := FreeSlots(booting, size)
	if boot == 0 {
		return free
	}
	waiting := max(PendingSlots(pending, size)-free, 0)
	return free + max(boot-waiting, 0)
}

// PendingSlots is how many slots of size the pending requests take: the
// larger of the CPU and the memory ratio, rounded up. A size with no CPU or
// no memory counts nothing, as in FreeSlots.
func PendingSlots(pending, size pressure.Size) int {
	if size.MilliCPU <= 0 || size.Memory <= 0 {
		return 0
	}
	cpu := (max(pending.MilliCPU, 0) + size.MilliCPU - 1) / size.MilliCPU
	mem := (max(pending.Memory, 0) + size.Memory - 1) / size.Memory
	return int(max(cpu, mem))
}
