package policy

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Pin is a node label the runner's config fixed: its node_selector (or a
// KUBERNETES_NODE_SELECTOR_* overwrite), or its required node affinity.
type Pin struct {
	// Values are the values the pin allows: one for a nodeSelector, any
	// number for an affinity. Empty means no pin.
	Values []string
	// Source says where the pin is, e.g. "nodeSelector kubernetes.io/arch".
	Source string
}

// Traits a runner may pin, the values of jobfit_runner_pin_conflicts_total{trait}.
const (
	PinTraitArch         = "arch"
	PinTraitCapacityType = "capacity-type"
)

// PinConflict is a runner pin that differs from what the job asked for or
// from what the spot fallback wanted.
type PinConflict struct {
	// Trait is arch or capacity-type.
	Trait string
	// Pinned and PinSource are the runner's value(s) and where they are.
	Pinned, PinSource string
	// Wanted and WantedSource are what jobfit would have chosen, and why.
	Wanted, WantedSource string
	// Replaced is true when the policy let jobfit replace the pin
	// (capacity.overrideRunnerPin).
	Replaced bool
}

// String is the warning the user sees.
func (c PinConflict) String() string {
	if c.Replaced {
		return "runner pin " + c.PinSource + "=" + c.Pinned + " replaced by " + c.Wanted +
			" (" + c.WantedSource + "; capacity.overrideRunnerPin)"
	}
	return "runner pin " + c.PinSource + "=" + c.Pinned + " kept; " + c.WantedSource + " wanted " + c.Wanted +
		" (the runner's config wins: remove the pin from its config.toml to let jobfit choose)"
}

// runnerPin finds the runner's pin on key. A nodeSelector value that jobfit
// wrote on an earlier pass (the applied record says so) is not a pin.
func runnerPin(pod *corev1.Pod, key, mutation string, prior Record) Pin {
	if v, ok := pod.Spec.NodeSelector[key]; ok && !prior.owns(mutation, v) {
		return Pin{Values: []string{v}, Source: "nodeSelector " + key}
	}
	if vals := requiredAffinityValues(pod, key); len(vals) > 0 {
		return Pin{Values: vals, Source: "required node affinity " + key}
	}
	return Pin{}
}

// requiredAffinityValues returns the values of key that the pod's required
// node affinity allows, or nil when some term allows any value. Terms are
// ORed, and the In expressions of one term ANDed.
func requiredAffinityValues(pod *corev1.Pod, key string) []string {
	aff := pod.Spec.Affinity
	if aff == nil || aff.NodeAffinity == nil || aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return nil
	}
	var union []string
	for _, term := range aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		var vals []string
		found := false
		for _, e := range term.MatchExpressions {
			if e.Key != key || e.Operator != corev1.NodeSelectorOpIn {
				continue
			}
			if !found {
				vals, found = slices.Clone(e.Values), true
				continue
			}
			vals = slices.DeleteFunc(vals, func(v string) bool { return !slices.Contains(e.Values, v) })
		}
		if !found {
			return nil
		}
		for _, v := range vals {
			if !slices.Contains(union, v) {
				union = append(union, v)
			}
		}
	}
	return union
}

// underPin returns the value to place the pod on when the runner may have
// pinned trait, and whether jobfit writes it to the nodeSelector. want is
// what jobfit would choose; asked says whether the job or the fallback (not
// a policy default) chose it, which makes a differing pin a conflict worth
// a warning. override lets jobfit replace a nodeSelector pin.
func (a *applier) underPin(trait string, want Trait, asked bool, pin Pin, override bool) (Trait, bool) {
	switch {
	case len(pin.Values) == 0:
		return want, true
	case slices.Contains(pin.Values, want.Value) && len(pin.Values) > 1:
		// The runner allows several values, the wanted one among them:
		// jobfit narrows the choice to it.
		return want, true
	case slices.Contains(pin.Values, want.Value):
		return Trait{Value: want.Value, Source: pin.Source}, false
	}
	c := PinConflict{Trait: trait, Pinned: strings.Join(pin.Values, ","), PinSource: pin.Source, Wanted: want.Value, WantedSource: want.Source}
	if override && strings.HasPrefix(pin.Source, "nodeSelector") {
		c.Replaced = true
		a.conflict(c)
		return Trait{Value: want.Value, Source: want.Source + " (replaced the runner's " + pin.Source + "=" + c.Pinned + ")"}, true
	}
	if asked {
		a.conflict(c)
	}
	// Several allowed values, none of them wanted: the runner's first one.
	return Trait{Value: pin.Values[0], Source: pin.Source}, len(pin.Values) > 1
}

func (a *applier) conflict(c PinConflict) {
	a.dec.PinConflicts = append(a.dec.PinConflicts, c)
	a.dec.warn(c.String())
}
