package fallback

import (
	"fmt"
	"strings"

	"jobfit.dev/jobfit/scaler/signals"
)

// explain returns the cause and the human reason of a degradation: the
// NodeClaim failures first (they are why the scaler acted before
// pendingAfter), then the pods Karpenter could not schedule, then the pods
// that waited.
func explain(arch string, aged, gaveUp int, pendingAfter string, fails []signals.SpotFailure) (string, string) {
	var parts []string
	cause := CausePendingPods
	switch {
	case len(fails) > 0:
		cause = string(fails[0].Cause)
		parts = append(parts, describe(fails[0]))
		if more := len(fails) - 1; more > 0 {
			parts = append(parts, fmt.Sprintf("%d more spot NodeClaim failure(s)", more))
		}
	case gaveUp > 0:
		cause = CauseUnschedulable
	}
	if gaveUp > 0 {
		parts = append(parts, fmt.Sprintf("Karpenter could not schedule %d spot-pinned %s job pods (no spot capacity it can launch)", gaveUp, arch))
	}
	if aged > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d spot-pinned %s job pods pending longer than %s", aged, arch, pendingAfter))
	}
	return cause, strings.Join(parts, "; ")
}

// describe says what happened to one NodeClaim.
func describe(f signals.SpotFailure) string {
	switch f.Cause {
	case signals.CauseInsufficientCapacity:
		return fmt.Sprintf("NodeClaim %s of NodePool %s was deleted before launch: insufficient spot capacity", f.NodeClaim, f.NodePool)
	case signals.CauseSpotInterruption:
		return fmt.Sprintf("NodeClaim %s of NodePool %s was deleted after a spot interruption", f.NodeClaim, f.NodePool)
	default:
		return fmt.Sprintf("NodeClaim %s of NodePool %s failed: %s", f.NodeClaim, f.NodePool, f.Cause)
	}
}
