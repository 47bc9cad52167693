package fallback

import (
	"cmp"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/signals"
)

// InterruptedJobTTL is how long the capacity status lists an interrupted
// job: long enough for GitLab's retry (seconds to minutes after the
// failure, or a person pressing Retry), short enough that a job name is not
// kept off spot for the rest of a long pipeline's day.
const InterruptedJobTTL = time.Hour

// gone is a NodeClaim first seen terminating (or deleted) in this pass.
type gone struct {
	claim *karpv1.NodeClaim
	at    time.Time
	cause signals.Cause
}

// interruptions are the jobs the scaler lists as interrupted, and the pods
// it already counted. Only Reconcile touches them.
type interruptions struct {
	jobs   []v1alpha1.InterruptedJob
	pods   map[types.UID]time.Time
	fresh  []gone
	seeded bool
}

// seen queues a NodeClaim classified for the first time.
func (in *interruptions) seen(nc *karpv1.NodeClaim, at time.Time, f signals.SpotFailure, ok bool) {
	cause := signals.CauseNodeDeleted
	if ok && f.Cause == signals.CauseSpotInterruption {
		cause = signals.CauseSpotInterruption
	}
	in.fresh = append(in.fresh, gone{claim: nc, at: at, cause: cause})
}

// update records the jobs killed with the NodeClaims seen since the last
// pass, forgets entries past their Until, and returns the list for the
// status (sorted, so that an unchanged list writes nothing). On the first
// pass it starts from the status read back, so that a new leader keeps what
// the last one recorded.
func (c *Controller) updateInterrupted(current v1alpha1.CapacityStatus, pods []*corev1.Pod, now time.Time) []v1alpha1.InterruptedJob {
	in := &c.interrupted
	if !in.seeded {
		in.jobs, in.seeded = slices.Clone(current.InterruptedJobs), true
	}
	if in.pods == nil {
		in.pods = map[types.UID]time.Time{}
	}
	for _, g := range in.fresh {
		for _, it := range signals.InterruptedJobs(g.claim, pods, g.cause, g.at, InterruptedJobTTL) {
			// A NodeClaim still terminating past the TTL is seen again;
			// its pods are not counted again.
			if _, counted := in.pods[it.Pod]; counted || slices.Contains(in.jobs, it.Job) || !now.Before(it.Job.Until) {
				continue
			}
			in.pods[it.Pod] = it.Job.Until
			in.jobs = append(in.jobs, it.Job)
			c.metrics.JobInterruptions.WithLabelValues(it.Job.Arch, it.Job.CapacityType).Inc()
		}
	}
	in.fresh = nil
	in.jobs = slices.DeleteFunc(in.jobs, func(j v1alpha1.InterruptedJob) bool { return !now.Before(j.Until) })
	for uid, until := range in.pods {
		if !now.Before(until) {
			delete(in.pods, uid)
		}
	}
	slices.SortFunc(in.jobs, func(a, b v1alpha1.InterruptedJob) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Project, b.Project), cmp.Compare(a.Pipeline, b.Pipeline), cmp.Compare(a.Job, b.Job))
	})
	return slices.Clone(in.jobs)
}
