package v1alpha1

import (
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PlatformFargate is EKS Fargate.
const PlatformFargate Platform = "fargate"

// Fargate is EKS Fargate: its section is fargate.
var Fargate = &PlatformSpec{
	Name:        PlatformFargate,
	Section:     "fargate",
	SectionOf:   func(p *Policy) any { return &p.Fargate },
	SetDefaults: func(p *Policy) { p.Fargate.SetDefaults() },
	Validate:    func(p *Policy) field.ErrorList { return p.Fargate.Validate(p, field.NewPath("fargate")) },
}

// Fargate unsupported-field modes.
const (
	FargateStrip = "strip"
	FargateSkip  = "skip"
)

// FargatePolicy holds EKS Fargate rules.
type FargatePolicy struct {
	// ProfileLabels are the labels the Fargate profile selects on.
	ProfileLabels map[string]string `json:"profileLabels,omitempty"`
	// Unsupported is strip (remove privileged, hostPath, hostNetwork, hostPort)
	// or skip (leave the pod for EC2 nodes).
	Unsupported string `json:"unsupported,omitempty"`
	// RoundResources sets requests equal to limits, rounded to the Fargate table.
	RoundResources *bool `json:"roundResources,omitempty"`
}

// SetDefaults fills the Fargate rules the user left unset.
func (f *FargatePolicy) SetDefaults() {
	if f.Unsupported == "" {
		f.Unsupported = FargateStrip
	}
	if f.RoundResources == nil {
		f.RoundResources = ptrTo(true)
	}
}

// Validate checks the Fargate rules, and that the policy asks for nothing
// Fargate cannot do; p is the section's path.
func (f *FargatePolicy) Validate(pol *Policy, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if f.Unsupported != FargateStrip && f.Unsupported != FargateSkip {
		errs = append(errs, field.NotSupported(p.Child("unsupported"), f.Unsupported, []string{FargateStrip, FargateSkip}))
	}
	for _, k := range sortedKeys(f.ProfileLabels) {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(p.Child("profileLabels").Key(k), k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(f.ProfileLabels[k]) {
			errs = append(errs, field.Invalid(p.Child("profileLabels").Key(k), f.ProfileLabels[k], msg))
		}
	}
	if _, ok := pol.Traits.Tags.Arch["amd64"]; !ok || pol.Arch.Default != "amd64" {
		errs = append(errs, field.Invalid(field.NewPath("arch", "default"), pol.Arch.Default, "EKS Fargate runs only amd64"))
	}
	return errs
}
