package v1alpha1

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Kubernetes arch names jobfit can place pods on.
var knownArches = sets.New("amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64", "loong64")

// Validate checks a defaulted policy and returns every problem with the path
// of the field a user would edit.
func (p *Policy) Validate() field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateHeader(p)...)
	errs = append(errs, validateSelector(&p.Selector, field.NewPath("selector"))...)
	errs = append(errs, validateTraits(p, field.NewPath("traits"))...)
	errs = append(errs, validateArch(p, field.NewPath("arch"))...)
	errs = append(errs, validateCapacity(&p.Capacity, field.NewPath("capacity"))...)
	errs = append(errs, validateScheduling(p, field.NewPath("scheduling"))...)
	errs = append(errs, validateDisruption(&p.Disruption, field.NewPath("disruption"))...)
	errs = append(errs, validateResources(&p.Resources, field.NewPath("resources"))...)
	errs = append(errs, validateCaches(p.Caches, field.NewPath("caches"))...)
	errs = append(errs, validateSecrets(p.Secrets, field.NewPath("secrets"))...)
	errs = append(errs, validateLabels(p.Labels, field.NewPath("labels"))...)
	errs = append(errs, validateAnnotations(p.Annotations, field.NewPath("annotations"))...)
	errs = append(errs, validatePlatform(p)...)
	errs = append(errs, validateOverrides(p.NamespaceOverrides, field.NewPath("namespaceOverrides"))...)
	return errs
}

func validateHeader(p *Policy) field.ErrorList {
	var errs field.ErrorList
	if p.APIVersion != GroupVersion {
		errs = append(errs, RequiredOrUnsupported(field.NewPath("apiVersion"), p.APIVersion, GroupVersion))
	}
	if p.Kind != KindPolicy {
		errs = append(errs, RequiredOrUnsupported(field.NewPath("kind"), p.Kind, KindPolicy))
	}
	if p.Metadata.Name != "" {
		for _, msg := range validation.IsDNS1123Subdomain(p.Metadata.Name) {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), p.Metadata.Name, msg))
		}
	}
	return errs
}

// RequiredOrUnsupported is the error for a field that must be want: Required
// when it is empty, NotSupported otherwise.
func RequiredOrUnsupported(p *field.Path, got, want string) *field.Error {
	if got == "" {
		return field.Required(p, fmt.Sprintf("must be %q", want))
	}
	return field.NotSupported(p, got, []string{want})
}

func validateSelector(s *Selector, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, nonEmptyUnique(s.RunnerIDs, p.Child("runnerIDs"))...)
	errs = append(errs, nonEmptyUnique(s.RootNamespaces, p.Child("rootNamespaces"))...)
	return errs
}

func nonEmptyUnique(vals []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, v := range vals {
		switch {
		case strings.TrimSpace(v) == "":
			errs = append(errs, field.Required(p.Index(i), "must not be empty"))
		case seen.Has(v):
			errs = append(errs, field.Duplicate(p.Index(i), v))
		}
		seen.Insert(v)
	}
	return errs
}

func validateTraits(pol *Policy, p *field.Path) field.ErrorList {
	t := &pol.Traits
	var errs field.ErrorList
	seen := sets.New[TraitSource]()
	for i, s := range t.Sources {
		switch {
		case s != SourceLabel && s != SourceVariable && s != SourceRunnerTags:
			errs = append(errs, field.NotSupported(p.Child("sources").Index(i), s, DefaultSources))
		case seen.Has(s):
			errs = append(errs, field.Duplicate(p.Child("sources").Index(i), s))
		}
		seen.Insert(s)
	}
	vp, tp := p.Child("variables"), p.Child("tags")
	for i := range TraitKinds {
		k := &TraitKinds[i]
		errs = append(errs, validateVarNames(*k.Variables(&t.Variables), vp.Child(k.Name))...)
	}
	for i := range TraitKinds {
		k := &TraitKinds[i]
		tags := *k.Tags(&t.Tags)
		errs = append(errs, validateAliases(tags, tp.Child(k.Name), k.ValueHint, func(v string) bool { return k.Known(pol, v) })...)
		if k.TagsRequired && len(tags) == 0 {
			errs = append(errs, field.Required(tp.Child(k.Name), "needs at least one "+k.Name))
		}
	}
	return errs
}

func validateVarNames(names []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, n := range names {
		for _, msg := range validation.IsCIdentifier(n) {
			errs = append(errs, field.Invalid(p.Index(i), n, msg))
		}
	}
	return errs
}

// validateAliases checks a value → aliases table: known values, no empty
// lists, and no alias that means two values (compared case-insensitively,
// as tags are).
func validateAliases(m map[string][]string, p *field.Path, what string, known func(string) bool) field.ErrorList {
	var errs field.ErrorList
	owner := map[string]string{}
	for _, k := range sortedKeys(m) {
		kp := p.Key(k)
		if !known(k) {
			errs = append(errs, field.Invalid(kp, k, "must be "+what))
		}
		if len(m[k]) == 0 {
			errs = append(errs, field.Required(kp, "alias list must not be empty"))
		}
		for i, a := range m[k] {
			la := strings.ToLower(strings.TrimSpace(a))
			if la == "" {
				errs = append(errs, field.Required(kp.Index(i), "alias must not be empty"))
				continue
			}
			if prev, ok := owner[la]; ok && prev != k {
				errs = append(errs, field.Invalid(kp.Index(i), a, fmt.Sprintf("alias conflict: %q already means %q", a, prev)))
			}
			owner[la] = k
		}
	}
	// A value's own name is an alias of itself; it must not mean another value.
	for _, k := range sortedKeys(m) {
		if prev, ok := owner[strings.ToLower(k)]; ok && prev != k {
			errs = append(errs, field.Invalid(p.Key(prev), k, fmt.Sprintf("alias conflict: %q is itself a value", k)))
		}
	}
	return errs
}

func validateArch(pol *Policy, p *field.Path) field.ErrorList {
	a := &pol.Arch
	var errs field.ErrorList
	if _, ok := pol.Traits.Tags.Arch[a.Default]; !ok {
		errs = append(errs, field.Invalid(p.Child("default"), a.Default, "must be one of the arches under traits.tags.arch"))
	}
	if a.OS != "linux" && a.OS != "windows" {
		errs = append(errs, field.NotSupported(p.Child("os"), a.OS, []string{"linux", "windows"}))
	}
	if a.HelperImage != HelperImageRewrite && a.HelperImage != HelperImageKeep {
		errs = append(errs, field.NotSupported(p.Child("helperImage"), a.HelperImage, []HelperImageMode{HelperImageRewrite, HelperImageKeep}))
	}
	errs = append(errs, validatePreferred(pol, p.Child("preferred"))...)
	errs = append(errs, validatePrewarm(a.PrewarmImages, p.Child("prewarmImages"))...)
	seen := map[string]int{}
	for i, set := range a.HelperImageMap {
		sp := p.Child("helperImageMap").Index(i)
		if len(set) < 2 {
			errs = append(errs, field.Invalid(sp, len(set), "needs an image for at least two arches"))
		}
		for _, arch := range sortedKeys(set) {
			if _, ok := pol.Traits.Tags.Arch[arch]; !ok {
				errs = append(errs, field.Invalid(sp.Key(arch), arch, "must be one of the arches under traits.tags.arch"))
			}
			img := set[arch]
			if strings.TrimSpace(img) == "" || strings.ContainsAny(img, " \t") {
				errs = append(errs, field.Invalid(sp.Key(arch), img, "must be an image reference"))
			}
			if j, ok := seen[img]; ok && j != i {
				errs = append(errs, field.Duplicate(sp.Key(arch), img))
			}
			seen[img] = i
		}
	}
	return errs
}

// validatePreferred checks arch.preferred: arches jobfit knows aliases for,
// each once.
func validatePreferred(pol *Policy, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, arch := range pol.Arch.Preferred {
		if _, ok := pol.Traits.Tags.Arch[arch]; !ok {
			errs = append(errs, field.Invalid(p.Index(i), arch, "must be one of the arches under traits.tags.arch"))
		}
		if seen[arch] {
			errs = append(errs, field.Duplicate(p.Index(i), arch))
		}
		seen[arch] = true
	}
	return errs
}

func validateCapacity(c *CapacityPolicy, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Default != CapacitySpot && c.Default != CapacityOnDemand {
		errs = append(errs, field.NotSupported(p.Child("default"), c.Default, []string{CapacitySpot, CapacityOnDemand}))
	}
	if c.Enforcement != EnforcementRequired && c.Enforcement != EnforcementPreferred {
		errs = append(errs, field.NotSupported(p.Child("enforcement"), c.Enforcement, []Enforcement{EnforcementRequired, EnforcementPreferred}))
	}
	if c.Fallback != FallbackFollowScaler && c.Fallback != FallbackNone {
		errs = append(errs, field.NotSupported(p.Child("fallback"), c.Fallback, []Fallback{FallbackFollowScaler, FallbackNone}))
	}
	return errs
}

func validateDisruption(d *DisruptionPolicy, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch d.DoNotDisrupt {
	case DoNotDisruptTrue, DoNotDisruptJobTimeout, DoNotDisruptOff:
	default:
		errs = append(errs, field.NotSupported(p.Child("doNotDisrupt"), d.DoNotDisrupt,
			[]DoNotDisrupt{DoNotDisruptTrue, DoNotDisruptJobTimeout, DoNotDisruptOff}))
	}
	if m, err := time.ParseDuration(d.Margin); err != nil {
		errs = append(errs, field.Invalid(p.Child("margin"), d.Margin, "must be a Go duration such as 15m"))
	} else if m < 0 {
		errs = append(errs, field.Invalid(p.Child("margin"), d.Margin, "must not be negative"))
	}
	return errs
}

func validateOverrides(sections []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, s := range sections {
		switch {
		case !slices.Contains(OverridableSections, s):
			errs = append(errs, field.NotSupported(p.Index(i), s, OverridableSections))
		case seen.Has(s):
			errs = append(errs, field.Duplicate(p.Index(i), s))
		}
		seen.Insert(s)
	}
	return errs
}

// sortedKeys returns a map's keys in order, so that errors, warnings and
// decisions come out the same on every run.
func sortedKeys[K ~string, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}
