package fallback

import (
	"fmt"
	"strings"

	"jobfit.dev/jobfit/scaler/signals"
)

// podEvidence counts the pods that are evidence against an arch's spot.
type podEvidence struct {
	// aged job pods waited pendingAfter; Karpenter gave up on the gaveUp
	// job pods (younger) and on the placeholders.
	aged, gaveUp, placeholders int
}

// explain returns the cause and the human reason of a degradation: the
// NodeClaim failures first (they are why the scaler acted before
// pendingAfter), then the pods Karpenter could not schedule, then the pods
// that waited.
func explain(arch string, ev podEvidence, pendingAfter string, fails []signals.SpotFailure) (string, string) {
	var parts []string
	cause := CausePendingPods
	switch {
	case len(fails) > 0:
		cause = string(fails[0].Cause)
		parts = append(parts, describe(fails[0]))
		if more := len(fails) - 1; more > 0 {
			parts = append(parts, fmt.Sprintf("%d more spot NodeClaim failure(s)", more))
		}
	case ev.gaveUp > 0 || ev.placeholders > 0:
		cause = CauseUnschedulable
	}
	if ev.gaveUp > 0 {
		parts = append(parts, fmt.Sprintf("Karpenter could not schedule %d spot-pinned %s job pods (no spot capacity it can launch)", ev.gaveUp, arch))
	}
	if ev.placeholders > 0 {
		parts = append(parts, fmt.Sprintf("Karpenter could not schedule %d spot %s headroom placeholders (no spot capacity it can launch)", ev.placeholders, arch))
	}
	if ev.aged > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%d spot-pinned %s job pods pending longer than %s", ev.aged, arch, pendingAfter))
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
