package policy

import (
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// karpenterPlatform is Karpenter: the capacity type is a node selector
// (or a preferred node affinity) that NodePools act on, and
// karpenter.sh/do-not-disrupt keeps consolidation away from running jobs.
var karpenterPlatform = &platform{
	PlatformSpec: v1alpha1.Karpenter,
	capacity:     (*applier).placeCapacity,
	disruption:   (*applier).applyDisruption,
}

func (a *applier) placeCapacity() {
	ct, own := a.chooseCapacity()
	if !own {
		a.dec.add(MutCapacity, ct.Value, ct.Source, false)
		return
	}
	var changed bool
	if a.p.Capacity.Enforcement == v1alpha1.EnforcementRequired || a.traits.CapacityPin.Values != nil {
		// A replaced or narrowed runner pin stays a nodeSelector.
		changed = a.setNodeSelector(v1alpha1.LabelCapacityType, ct.Value, true)
	} else {
		changed = a.preferCapacity(ct.Value)
	}
	a.dec.add(MutCapacity, ct.Value, ct.Source, changed)
}

// preferCapacity adds a preferred node affinity term for the capacity type.
// A term on the same key that jobfit did not write is left alone.
func (a *applier) preferCapacity(value string) bool {
	spec := &a.pod.Spec
	if spec.Affinity == nil {
		spec.Affinity = &corev1.Affinity{}
	}
	if spec.Affinity.NodeAffinity == nil {
		spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	terms := &spec.Affinity.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution
	for i := range *terms {
		exprs := (*terms)[i].Preference.MatchExpressions
		if len(exprs) != 1 || exprs[0].Key != v1alpha1.LabelCapacityType {
			continue
		}
		if len(exprs[0].Values) == 1 && exprs[0].Values[0] == value {
			return false
		}
		if !a.prior.owns(MutCapacity, exprs[0].Values[0]) {
			a.dec.warn("preferred node affinity on " + v1alpha1.LabelCapacityType + " set by the runner kept")
			return false
		}
		exprs[0].Values = []string{value}
		return true
	}
	*terms = append(*terms, corev1.PreferredSchedulingTerm{
		Weight: 100,
		Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{
			Key: v1alpha1.LabelCapacityType, Operator: corev1.NodeSelectorOpIn, Values: []string{value},
		}}},
	})
	return true
}

func (a *applier) applyDisruption() {
	if a.p.Disruption.DoNotDisrupt == v1alpha1.DoNotDisruptOff {
		return
	}
	if old, ok := a.pod.Annotations[v1alpha1.AnnotationDoNotDisrupt]; ok {
		a.dec.add(MutDoNotDisrupt, old, "pod annotation (kept)", false)
		return
	}
	value, source := "true", "disruption.doNotDisrupt"
	if a.p.Disruption.DoNotDisrupt == v1alpha1.DoNotDisruptJobTimeout {
		if t, from := jobTimeout(a.pod, a.env); t > 0 {
			value = (t + a.p.idx.margin).String()
			source = "job timeout " + t.String() + " from " + from + " + margin " + a.p.Disruption.Margin
		} else {
			source = "no job timeout found"
		}
	}
	a.dec.add(MutDoNotDisrupt, value, source, a.addAnnotation(v1alpha1.AnnotationDoNotDisrupt, value, "do-not-disrupt"))
}

// jobTimeout finds the job's timeout: the runner's annotation (17.11+), the
// CI_JOB_TIMEOUT variable (seconds), or activeDeadlineSeconds (timeout + 1s).
func jobTimeout(pod *corev1.Pod, env map[string]string) (time.Duration, string) {
	if s, ok := pod.Annotations[v1alpha1.AnnotationJobTimeout]; ok {
		if d, err := time.ParseDuration(s); err == nil && d > 0 {
			return d, v1alpha1.AnnotationJobTimeout
		}
	}
	if s := env[v1alpha1.VarJobTimeout]; s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
			return time.Duration(n) * time.Second, v1alpha1.VarJobTimeout
		}
	}
	if ads := pod.Spec.ActiveDeadlineSeconds; ads != nil && *ads > 1 {
		return time.Duration(*ads-1) * time.Second, "activeDeadlineSeconds"
	}
	return 0, ""
}
