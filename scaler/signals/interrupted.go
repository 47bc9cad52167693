package signals

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// CauseNodeDeleted is the cause of a launched NodeClaim deleted while job
// pods ran on its node that was not a spot interruption (a node repair, a
// node deleted by hand, a disruption the jobs did not block).
const CauseNodeDeleted Cause = "NodeDeleted"

// InterruptedJobs returns the jobs that were running on the node of nc when
// the NodeClaim was deleted at at: job pods bound to its node that had not
// finished and that nobody had deleted before. Each is listed until at+ttl.
// A job pod that policy.JobRefOf cannot name (no pipeline id or job name) is
// left out, so that no other job is ever taken for its retry. cause is
// CauseSpotInterruption when the classifier said so, else CauseNodeDeleted.
func InterruptedJobs(nc *karpv1.NodeClaim, pods []*corev1.Pod, cause Cause, at time.Time, ttl time.Duration) []Interrupted {
	node := nc.Status.NodeName
	ct := nc.Labels[karpv1.CapacityTypeLabelKey]
	if node == "" || (ct != karpv1.CapacityTypeSpot && ct != karpv1.CapacityTypeOnDemand) {
		return nil
	}
	var out []Interrupted
	for _, p := range pods {
		if p.Spec.NodeName != node || finished(p) || (p.DeletionTimestamp != nil && p.DeletionTimestamp.Time.Before(at)) {
			continue
		}
		ref, ok := policy.JobRefOf(p)
		if !ok {
			continue
		}
		out = append(out, Interrupted{Pod: p.UID, Job: v1alpha1.InterruptedJob{
			JobRef: ref, Arch: nc.Labels[corev1.LabelArchStable], CapacityType: ct,
			Node: node, Cause: string(cause), At: at.UTC(), Until: at.Add(ttl).UTC(),
		}})
	}
	return out
}

// Interrupted is one job pod killed with its node.
type Interrupted struct {
	// Pod is the pod's UID, so that one pod counts once.
	Pod types.UID
	// Job is the entry for the capacity status.
	Job v1alpha1.InterruptedJob
}

func finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}
