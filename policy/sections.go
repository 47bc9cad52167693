package policy

// policySection is one top-level section of a policy that a cluster policy
// may let namespace policies override (namespaceOverrides).
type policySection struct {
	name string
	of   func(p *Policy) any // a pointer to the section
}

// sections lists the overridable sections, once: validation of
// namespaceOverrides, the namespace-scope check and Merge all read it.
var sections = []policySection{
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
	{"eci", func(p *Policy) any { return &p.ECI }},
	{"fargate", func(p *Policy) any { return &p.Fargate }},
}

// overridableSections are the names of sections, for error messages.
var overridableSections = func() []string {
	names := make([]string, len(sections))
	for i, s := range sections {
		names[i] = s.name
	}
	return names
}()
