package policy

import (
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// platform is everything jobfit does differently on one kind of cluster:
// the API's part (its section, defaults and validation, in
// policy/api/v1alpha1) and how it places and mutates pods. Each platform is
// one file here (platform_<name>.go) and one row of platforms; nothing else
// switches on the platform.
type platform struct {
	*v1alpha1.PlatformSpec
	// capacity decides the pod's capacity type and places it (a.cap).
	capacity func(a *applier)
	// disruption protects a running job from the platform's consolidation.
	disruption func(a *applier)
	// apply is the platform's own step; it runs after resources, which it
	// reads (ECI specs, Fargate sizes).
	apply func(a *applier)
}

// platforms has a row for each of v1alpha1.Platforms.
var platforms = []*platform{
	karpenterPlatform,
	eciPlatform,
	fargatePlatform,
	genericPlatform,
}

// platformOf returns the named platform, or nil for an unknown name.
func platformOf(name v1alpha1.Platform) *platform {
	for _, pl := range platforms {
		if pl.Name == name {
			return pl
		}
	}
	return nil
}
