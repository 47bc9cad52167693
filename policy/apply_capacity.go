package policy

// chooseCapacity decides the pod's capacity type, for the platforms that
// choose one: what the job asked for, else the policy's default; on-demand
// while the scaler reports the arch's spot capacity degraded; and the
// runner's pin over both unless the policy may override it. It sets a.cap
// and says whether jobfit owns the value (false: the runner's pin stays).
func (a *applier) chooseCapacity() (Trait, bool) {
	asked := a.traits.Of(TraitCapacityType)
	ct := asked
	if ct.Value == "" {
		ct = Trait{Value: a.p.Capacity.Default, Source: "default"}
	}
	fellBack := false
	if ct.Value == CapacitySpot && a.p.Capacity.Fallback == FallbackFollowScaler && a.status.IsDegraded(a.arch, CapacitySpot) {
		ct = Trait{Value: CapacityOnDemand, Source: "capacity status: " + a.arch + " spot degraded (was " + ct.Source + ")"}
		fellBack = true
	}
	ct, own := a.underPin(PinTraitCapacityType, ct, asked.Value != "" || fellBack, a.traits.CapacityPin, a.p.Capacity.OverrideRunnerPin)
	a.cap = ct.Value
	return ct, own
}
