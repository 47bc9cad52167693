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
	follow := ct.Value == v1alpha1.CapacitySpot && a.p.Capacity.Fallback == v1alpha1.FallbackFollowScaler
	// The retry first: it is the more specific reason, and it holds while
	// the interruption also has the arch's spot degraded.
	if j, ok := a.interrupted(); ok && follow {
		ct = Trait{Value: v1alpha1.CapacityOnDemand, Source: j.Describe() + " (was " + ct.Source + ")"}
		a.dec.Retry = &j
		fellBack = true
	} else if follow && a.status.IsDegraded(a.arch, v1alpha1.CapacitySpot) {
		ct = Trait{Value: v1alpha1.CapacityOnDemand, Source: "capacity status: " + a.arch + " spot degraded (was " + ct.Source + ")"}
		fellBack = true
	}
	ct, own := a.underPin(PinTraitCapacityType, ct, asked.Value != "" || fellBack, a.traits.CapacityPin, a.p.Capacity.OverrideRunnerPin)
	a.cap = ct.Value
	return ct, own
}

// interrupted returns the interruption the capacity status lists for the
// pod's job, if the pod is a retry of one.
func (a *applier) interrupted() (v1alpha1.InterruptedJob, bool) {
	ref, ok := jobRef(a.pod, a.env)
	if !ok {
		return v1alpha1.InterruptedJob{}, false
	}
	return a.status.Interrupted(ref)
}
