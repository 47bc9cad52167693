package v1alpha1

import (
	"reflect"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PlatformSpec is what a platform adds to the policy document: its own
// section, with its defaults and validation. The engine (package policy)
// adds, per platform, how it places and mutates pods. Each platform with a
// section is one file here (eci.go, fargate.go) and one row of Platforms.
type PlatformSpec struct {
	Name Platform
	// Section is the platform's own policy section ("" for none), and
	// SectionOf returns a pointer to it. Only that platform's policies may
	// set it; it is overridable by namespace policies like any section.
	Section   string
	SectionOf func(p *Policy) any
	// SetDefaults fills the platform's section; Validate checks it, and
	// whatever the platform cannot do elsewhere in the policy. Nil: nothing.
	SetDefaults func(p *Policy)
	Validate    func(p *Policy) field.ErrorList
	// ChoosesCapacity says whether the platform places pods by capacity
	// type (spot or on-demand), so that scheduling.byCapacityType means
	// something.
	ChoosesCapacity bool
}

// Karpenter has no section of its own: capacity and disruption are its.
var Karpenter = &PlatformSpec{Name: PlatformKarpenter, ChoosesCapacity: true}

// Generic is any other cluster: no section, no capacity type.
var Generic = &PlatformSpec{Name: PlatformGeneric}

// Platforms lists every platform, in the order error messages name them.
var Platforms = []*PlatformSpec{Karpenter, ECI, Fargate, Generic}

// PlatformOf returns the named platform, or nil for an unknown name.
func PlatformOf(name Platform) *PlatformSpec {
	for _, pl := range Platforms {
		if pl.Name == name {
			return pl
		}
	}
	return nil
}

func platformNames() []Platform {
	names := make([]Platform, len(Platforms))
	for i, pl := range Platforms {
		names[i] = pl.Name
	}
	return names
}

// validatePlatform checks the platform name, that no other platform's
// section is set, and the platform's own rules.
func validatePlatform(p *Policy) field.ErrorList {
	var errs field.ErrorList
	own := PlatformOf(p.Platform)
	if own == nil {
		errs = append(errs, field.NotSupported(field.NewPath("platform"), p.Platform, platformNames()))
	}
	for _, pl := range Platforms {
		if pl != own && pl.SectionOf != nil && !reflect.ValueOf(pl.SectionOf(p)).Elem().IsZero() {
			errs = append(errs, field.Forbidden(field.NewPath(pl.Section), "only used with platform: "+string(pl.Name)+", not "+string(p.Platform)))
		}
	}
	if own != nil && own.Validate != nil {
		errs = append(errs, own.Validate(p)...)
	}
	return errs
}
