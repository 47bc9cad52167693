package fallback

import (
	"cmp"
	"math"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// RunnerMixWindow is how far back the job mix of a runner looks: the pause
// pods it keeps warm follow the arches and capacity types of its jobs of
// the last hour.
const RunnerMixWindow = time.Hour

// MixJob is one job pod counted in its runner's mix.
type MixJob struct {
	Runner, Arch, CapacityType string
	// At is when the scaler first saw the pod.
	At time.Time
}

// mixJobs are the job pods of the last RunnerMixWindow, by UID. Only the
// fallback controller's Reconcile touches them.
type mixJobs map[types.UID]MixJob

// update counts the job pods not seen before (those of a runner that
// labels them with manager.runner.gitlab.com/id-short and placed on an
// arch), forgets those seen more than RunnerMixWindow ago, and returns the
// mixes.
func (m mixJobs) update(pods []*corev1.Pod, now time.Time) []v1alpha1.RunnerMix {
	for _, p := range pods {
		if _, seen := m[p.UID]; seen {
			continue
		}
		runner, arch := p.Labels[v1alpha1.LabelManagerIDShort], p.Spec.NodeSelector[v1alpha1.LabelArch]
		if runner == "" || arch == "" {
			continue
		}
		m[p.UID] = MixJob{Runner: runner, Arch: arch, CapacityType: p.Spec.NodeSelector[v1alpha1.LabelCapacityType], At: now}
	}
	jobs := make([]MixJob, 0, len(m))
	for uid, j := range m {
		if now.Sub(j.At) > RunnerMixWindow {
			delete(m, uid)
			continue
		}
		jobs = append(jobs, j)
	}
	return RunnerMixes(jobs)
}

// RunnerMixes turns job pods into each runner's mix: the share of its jobs
// per arch and capacity type, in percent rounded to 5 so that the capacity
// status changes when the mix does, not with every job. A share under 2.5%
// rounds to nothing and is left out. Runners and cells come sorted.
func RunnerMixes(jobs []MixJob) []v1alpha1.RunnerMix {
	type cell struct{ runner, arch, ct string }
	counts := map[cell]int{}
	totals := map[string]int{}
	for _, j := range jobs {
		counts[cell{j.Runner, j.Arch, j.CapacityType}]++
		totals[j.Runner]++
	}
	byRunner := map[string][]v1alpha1.MixCell{}
	for c, n := range counts {
		pct := int(math.Round(float64(n)*20/float64(totals[c.runner]))) * 5
		if pct > 0 {
			byRunner[c.runner] = append(byRunner[c.runner], v1alpha1.MixCell{Arch: c.arch, CapacityType: c.ct, Percent: pct})
		}
	}
	out := make([]v1alpha1.RunnerMix, 0, len(byRunner))
	for runner, cells := range byRunner {
		slices.SortFunc(cells, func(a, b v1alpha1.MixCell) int {
			return cmp.Or(cmp.Compare(a.Arch, b.Arch), cmp.Compare(a.CapacityType, b.CapacityType))
		})
		out = append(out, v1alpha1.RunnerMix{Runner: runner, Jobs: cells})
	}
	slices.SortFunc(out, func(a, b v1alpha1.RunnerMix) int { return cmp.Compare(a.Runner, b.Runner) })
	if len(out) == 0 {
		return nil
	}
	return out
}
