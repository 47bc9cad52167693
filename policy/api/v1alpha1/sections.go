package v1alpha1

import (
	"reflect"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Section is one top-level section of a policy that a cluster policy may
// let namespace policies override (namespaceOverrides).
type Section struct {
	Name string
	Of   func(p *Policy) any // a pointer to the section
}

// Sections lists the overridable sections, once: validation of
// namespaceOverrides, the namespace-scope check and Merge all read it.
// Each platform's own section (PlatformSpec.SectionOf) follows these.
var Sections = append(commonSections, platformSections()...)

var commonSections = []Section{
	{"traits", func(p *Policy) any { return &p.Traits }},
	{"arch", func(p *Policy) any { return &p.Arch }},
	{"capacity", func(p *Policy) any { return &p.Capacity }},
	{"scheduling", func(p *Policy) any { return &p.Scheduling }},
	{"disruption", func(p *Policy) any { return &p.Disruption }},
	{"resources", func(p *Policy) any { return &p.Resources }},
	{"caches", func(p *Policy) any { return &p.Caches }},
	{"secrets", func(p *Policy) any { return &p.Secrets }},
	{"labels", func(p *Policy) any { return &p.Labels }},
	{"annotations", func(p *Policy) any { return &p.Annotations }},
}

func platformSections() []Section {
	var out []Section
	for _, pl := range Platforms {
		if pl.SectionOf != nil {
			out = append(out, Section{pl.Section, pl.SectionOf})
		}
	}
	return out
}

// OverridableSections are the names of sections, for error messages.
var OverridableSections = func() []string {
	names := make([]string, len(Sections))
	for i, s := range Sections {
		names[i] = s.Name
	}
	return names
}()

// ValidateNamespaceScope checks ns as a namespace policy under cluster:
// only the sections the cluster opens (namespaceOverrides), nothing only a
// cluster policy may set, scheduling within what the cluster allows. A
// namespace policy is not defaulted: its unset sections are the cluster's.
func (ns *Policy) ValidateNamespaceScope(cluster *Policy) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateHeader(ns)...)
	if ns.Platform != "" || !reflect.ValueOf(ns.Selector).IsZero() || ns.PodOptOut || len(ns.NamespaceOverrides) > 0 {
		errs = append(errs, field.Forbidden(field.NewPath("platform"), "platform, selector, podOptOut and namespaceOverrides are set by the cluster policy only"))
	}
	if ns.DockerSocket != nil {
		errs = append(errs, field.Forbidden(field.NewPath("dockerSocket"), "set by the cluster policy only"))
	}
	if len(ns.Arch.PrewarmImages) > 0 {
		errs = append(errs, field.Forbidden(field.NewPath("arch", "prewarmImages"), "set by the cluster policy only: the resolver pre-warms the cluster policy's list"))
	}
	for _, s := range Sections {
		if reflect.ValueOf(s.Of(ns)).Elem().IsZero() || slices.Contains(cluster.NamespaceOverrides, s.Name) {
			continue
		}
		errs = append(errs, field.Forbidden(field.NewPath(s.Name), "the cluster policy does not let namespaces override "+s.Name+" (namespaceOverrides)"))
	}
	if slices.Contains(cluster.NamespaceOverrides, "scheduling") {
		errs = append(errs, validateNamespaceScheduling(cluster, ns)...)
	}
	// The namespace's caps are only compared, never copied, so check them here.
	errs = append(errs, validateQuantities(ns.Resources.Max, field.NewPath("resources", "max"))...)
	return errs
}
