package policy

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// MutPauseResources is the pod-level requests jobfit gives a GitLab Runner
// pause pod, so that the room it holds fits a job.
const MutPauseResources = "pause-resources"

// IsPausePod reports whether pod is one of GitLab Runner's pause pods
// (Runner 18.10+, [runners.kubernetes.autoscaler]): the label
// runner.gitlab.com/pause-pod=true, and not one of jobfit's placeholders.
func IsPausePod(pod *corev1.Pod) bool {
	if pod == nil || pod.Labels[v1alpha1.LabelPausePod] != "true" {
		return false
	}
	_, headroom := pod.Labels[v1alpha1.HeadroomLabel]
	return !headroom
}

// ApplyPausePod places a GitLab Runner pause pod where its runner's jobs go:
// an arch and capacity type drawn from the runner's recent job mix in
// status (the policy's defaults when it has none, and on-demand while the
// arch's spot is degraded under fallback follow-scaler), the policy's
// tolerations, and pod-level requests of one job's default room. Its
// containers are never changed, nor its priority class (the runner's, which
// lets jobs preempt it). seed makes the draw: the webhook passes the
// admission request's UID, so that the pause pods of one Deployment spread
// over the mix; the same seed draws the same cell. A reinvocation keeps
// what the first pass chose.
//
// The input pod is never modified. p must have been prepared by Load or
// Prepare.
func ApplyPausePod(pod *corev1.Pod, p *Policy, status v1alpha1.CapacityStatus, seed string) (*corev1.Pod, Decisions) {
	dec := Decisions{Policy: p.Name(), Hash: p.Hash()}
	if skip := pauseSkip(pod, p); skip != "" {
		dec.Skipped, dec.Reason = true, skip
		return pod, dec
	}
	dec.Reason = "runner pause pod (" + v1alpha1.LabelPausePod + ")"
	prior, _ := ReadRecord(pod.Annotations)
	a := &applier{pod: copyPod(pod), p: p, status: status, prior: prior, dec: &dec, pause: true}
	a.traits = JobTraits{ArchPin: runnerPin(a.pod, v1alpha1.LabelArch, MutArch, prior), CapacityPin: runnerPin(a.pod, v1alpha1.LabelCapacityType, MutCapacity, prior)}
	a.drawPause(seed)
	a.applyArch()
	a.platformStep(p.idx.platform.capacity)
	a.applyTolerations()
	a.pauseResources()
	a.writeRecord()
	if unchanged(pod, a.pod) {
		for i := range dec.Items {
			dec.Items[i].Changed = false
		}
		return pod, dec
	}
	return a.pod, dec
}

// pauseSkip returns why the policy does not place pod, or "".
func pauseSkip(pod *corev1.Pod, p *Policy) string {
	switch {
	case !IsPausePod(pod):
		return "not a GitLab Runner pause pod"
	case p.PodOptOut && pod.Labels[v1alpha1.InjectLabel] == v1alpha1.InjectDisabled:
		return "pod opted out with " + v1alpha1.InjectLabel + "=" + v1alpha1.InjectDisabled
	case p.Platform != v1alpha1.PlatformKarpenter && p.Platform != v1alpha1.PlatformGeneric:
		return "pause pods hold node capacity; platform " + string(p.Platform) + " has no nodes to hold"
	}
	if ids := p.Selector.RunnerIDs; len(ids) > 0 && !slices.Contains(ids, pod.Labels[v1alpha1.LabelManagerIDShort]) {
		return "runner not in selector.runnerIDs"
	}
	return ""
}

// drawPause sets the arch and capacity type the pause pod asks for: what
// the first pass chose (reinvocation), else a draw from the runner's mix
// among the cells the runner's pins allow, else nothing (the policy's
// defaults apply).
func (a *applier) drawPause(seed string) {
	ai, ci := v1alpha1.TraitIndex(v1alpha1.TraitArch), v1alpha1.TraitIndex(v1alpha1.TraitCapacityType)
	if arch, ok := a.prior.decided(MutArch); ok {
		a.traits.Asked[ai] = Trait{Value: arch.Value, Source: arch.Source}
		if ct, ok := a.prior.decided(MutCapacity); ok {
			a.traits.Asked[ci] = Trait{Value: ct.Value, Source: ct.Source}
		}
		return
	}
	runner := a.pod.Labels[v1alpha1.LabelManagerIDShort]
	var cells []v1alpha1.MixCell
	total := 0
	for _, c := range a.status.MixOf(runner) {
		if allows(a.traits.ArchPin, c.Arch) && (c.CapacityType == "" || allows(a.traits.CapacityPin, c.CapacityType)) {
			cells = append(cells, c)
			total += c.Percent
		}
	}
	if total == 0 {
		return
	}
	pick := int(draw(seed) * float64(total))
	for _, c := range cells {
		if pick < c.Percent {
			src := fmt.Sprintf("runner %s's recent jobs: %d%% on %s", runner, c.Percent*100/total, c.Arch)
			if c.CapacityType != "" {
				src += "/" + c.CapacityType
				a.traits.Asked[ci] = Trait{Value: c.CapacityType, Source: src}
			}
			a.traits.Asked[ai] = Trait{Value: c.Arch, Source: src}
			return
		}
		pick -= c.Percent
	}
}

func allows(pin Pin, v string) bool {
	return len(pin.Values) == 0 || slices.Contains(pin.Values, v)
}

// draw maps seed to [0, 1), uniformly: request UIDs differ in few
// characters, which a plain FNV hash spreads poorly over its high bits.
func draw(seed string) float64 {
	sum := sha256.Sum256([]byte(seed))
	return float64(binary.BigEndian.Uint64(sum[:8])>>11) / (1 << 53)
}

// pauseResources gives the pause pod pod-level requests of one job's room
// (the build and helper defaults of resources.defaults), unless it has
// pod-level resources already or its containers request more (the API
// server refuses pod-level requests below the containers' sum).
func (a *applier) pauseResources() {
	room := corev1.ResourceList{}
	for _, r := range []v1alpha1.Resources{a.p.Resources.Defaults.Build, a.p.Resources.Defaults.Helper} {
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := r.Requests[name]; ok {
				sum := room[name]
				sum.Add(q.Value())
				room[name] = sum
			}
		}
	}
	if len(room) == 0 {
		return
	}
	if a.pod.Spec.Resources != nil {
		a.dec.add(MutPauseResources, formatList(a.pod.Spec.Resources.Requests), "pod's own spec.resources (kept)", false)
		return
	}
	for name, q := range room {
		if sum := containerSum(a.pod, name); sum.Cmp(q) > 0 {
			a.dec.warn(fmt.Sprintf("pause pod containers request %s %s, more than one job's default room %s; left as the runner set it", sum.String(), name, q.String()))
			return
		}
	}
	a.pod.Spec.Resources = &corev1.ResourceRequirements{Requests: room}
	a.dec.add(MutPauseResources, formatList(room), "resources.defaults build + helper requests", true)
}

// containerSum adds up the requests of every container and init container:
// at least what the API server compares pod-level requests with.
func containerSum(pod *corev1.Pod, name corev1.ResourceName) resource.Quantity {
	var sum resource.Quantity
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			if q, ok := cs[i].Resources.Requests[name]; ok {
				sum.Add(q)
			}
		}
	}
	return sum
}

func formatList(l corev1.ResourceList) string {
	out := ""
	for _, name := range sortedKeys(l) {
		q := l[name]
		if out != "" {
			out += ","
		}
		out += string(name) + "=" + q.String()
	}
	return out
}
