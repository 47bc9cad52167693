package policy

import (
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// platform is everything jobfit does differently on one kind of cluster.
// Each platform is one file (platform_<name>.go) that fills in one of
// these, and one row of platforms; nothing else switches on the platform.
type platform struct {
	name Platform
	// section is the platform's own policy section ("" for none);
	// sectionSet says whether a policy sets it, which only that platform's
	// policies may.
	section    string
	sectionSet func(p *Policy) bool
	// setDefaults fills the platform's section; validate checks it, and
	// whatever the platform cannot do elsewhere in the policy.
	setDefaults func(p *Policy)
	validate    func(p *Policy) field.ErrorList
	// choosesCapacity says whether the platform places pods by capacity
	// type (spot or on-demand), so scheduling.byCapacityType means something.
	choosesCapacity bool
	// capacity decides the pod's capacity type and places it (a.cap).
	capacity func(a *applier)
	// disruption protects a running job from the platform's consolidation.
	disruption func(a *applier)
	// apply is the platform's own step; it runs after resources, which it
	// reads (ECI specs, Fargate sizes).
	apply func(a *applier)
}

// platforms lists every platform jobfit supports, in the order error
// messages name them. Adding a platform is a file and a row here.
var platforms = []*platform{
	karpenterPlatform,
	eciPlatform,
	fargatePlatform,
	genericPlatform,
}

// platformOf returns the policy's platform, or nil for an unknown name.
func platformOf(name Platform) *platform {
	for _, pl := range platforms {
		if pl.name == name {
			return pl
		}
	}
	return nil
}

func platformNames() []Platform {
	names := make([]Platform, len(platforms))
	for i, pl := range platforms {
		names[i] = pl.name
	}
	return names
}

// validatePlatform checks the platform name, that no other platform's
// section is set, and the platform's own rules.
func validatePlatform(p *Policy) field.ErrorList {
	var errs field.ErrorList
	own := platformOf(p.Platform)
	if own == nil {
		errs = append(errs, field.NotSupported(field.NewPath("platform"), p.Platform, platformNames()))
	}
	for _, pl := range platforms {
		if pl != own && pl.sectionSet != nil && pl.sectionSet(p) {
			errs = append(errs, field.Forbidden(field.NewPath(pl.section), "only used with platform: "+string(pl.name)+", not "+string(p.Platform)))
		}
	}
	if own != nil && own.validate != nil {
		errs = append(errs, own.validate(p)...)
	}
	return errs
}
