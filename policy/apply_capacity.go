package policy

import "jobfit.dev/jobfit/policy/api/v1alpha1"

// chooseCapacity decides the pod's capacity type, for the platforms that
// choose one: what the job asked for, else the policy's default; on-demand
// while the scaler reports the arch's spot capacity degraded, or for the
// retry of a job whose node was interrupted; and the
// runner's pin over both unless the policy may override it. It sets a.cap
// and says whether jobfit owns the value (false: the runner's pin stays).
func (a *applier) chooseCapacity() (Trait, bool) {
	asked := a.traits.Of(v1alpha1.TraitCapacityType)
	ct := asked
	if ct.Value == "" {
		ct = Trait{Value: a.p.Capacity.Default, Source: "default"}
	}
	fellBack := false
	if ct.Value == v1alpha1.CapacitySpot && a.p.Capacity.Fallback == v1alpha1.FallbackFollowScaler && a.status.IsDegraded(a.arch, v1alpha1.CapacitySpot) {
		ct = Trait{Value: v1alpha1.CapacityOnDemand, Source: "capacity status: " + a.arch + " spot degraded (was " + ct.Source + ")"}
		fellBack = true
	}
	if ct.Value == v1alpha1.CapacitySpot && a.p.Capacity.Fallback == v1alpha1.FallbackFollowScaler {
		if ref, ok := jobRef(a.pod, a.env); ok {
			if j, ok := a.status.Interrupted(ref); ok {
				ct = Trait{Value: v1alpha1.CapacityOnDemand, Source: j.Describe() + " (was " + ct.Source + ")"}
				a.dec.Retry = &j
				fellBack = true
			}
		}
	}
	ct, own := a.underPin(PinTraitCapacityType, ct, asked.Value != "" || fellBack, a.traits.CapacityPin, a.p.Capacity.OverrideRunnerPin)
	a.cap = ct.Value
	return ct, own
}
