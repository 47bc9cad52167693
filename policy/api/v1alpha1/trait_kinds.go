package v1alpha1

import "slices"

// TraitKind is one job trait: where a job names it, and what its values
// may be. The traits are the rows of TraitKinds; defaulting, validation,
// the alias tables and trait resolution all loop over them. A new trait is
// a row here, its fields under traits.variables and traits.tags (the JSON
// shape of the policy), and its apply step.
type TraitKind struct {
	// Name is the trait's key under traits.variables and traits.tags.
	Name string
	// Key is the pod label and annotation a job sets it with (jobfit.dev/<trait>).
	Key string
	// Section is the policy section the trait's values are about.
	Section string
	// Variables and Tags return the trait's fields of the traits section.
	Variables func(*TraitVariables) *[]string
	Tags      func(*TraitTags) *map[string][]string
	// DefaultVariables and DefaultTags fill those fields when unset
	// (DefaultTags nil: no default).
	DefaultVariables []string
	DefaultTags      map[string][]string
	// Known says whether a value (a key of its tags) is valid; ValueHint
	// says what it must be, for the error.
	Known     func(p *Policy, value string) bool
	ValueHint string
	// TagsRequired says the trait needs at least one value in its tags.
	TagsRequired bool
	// Values are values that mean themselves without a tags entry (the size
	// classes of resources.sizes).
	Values func(p *Policy) []string
}

// The trait names, as keys under traits.variables and traits.tags.
const (
	TraitArch         = "arch"
	TraitCapacityType = "capacityType"
	TraitSize         = "size"
)

// TraitKinds are the job traits jobfit resolves, in the order they are
// resolved. Its length is a constant, so resolved traits fit in an array.
var TraitKinds = [...]TraitKind{
	{
		Name: TraitArch, Key: TraitArchKey, Section: "arch",
		Variables:        func(v *TraitVariables) *[]string { return &v.Arch },
		Tags:             func(t *TraitTags) *map[string][]string { return &t.Arch },
		DefaultVariables: DefaultArchVars, DefaultTags: DefaultArchTags,
		Known:     func(_ *Policy, v string) bool { return knownArches.Has(v) },
		ValueHint: "a Kubernetes arch", TagsRequired: true,
	},
	{
		Name: TraitCapacityType, Key: TraitCapacityKey, Section: "capacity",
		Variables:        func(v *TraitVariables) *[]string { return &v.CapacityType },
		Tags:             func(t *TraitTags) *map[string][]string { return &t.CapacityType },
		DefaultVariables: DefaultCapacityVars, DefaultTags: DefaultCapacityTags,
		Known:     func(_ *Policy, v string) bool { return v == CapacitySpot || v == CapacityOnDemand },
		ValueHint: "spot or on-demand",
	},
	{
		Name: TraitSize, Key: TraitSizeKey, Section: "resources",
		Variables:        func(v *TraitVariables) *[]string { return &v.Size },
		Tags:             func(t *TraitTags) *map[string][]string { return &t.Size },
		DefaultVariables: DefaultSizeVars,
		Known: func(p *Policy, v string) bool {
			_, ok := p.Resources.Sizes[v]
			return ok
		},
		ValueHint: "a size class under resources.sizes",
		Values:    func(p *Policy) []string { return sortedKeys(p.Resources.Sizes) },
	},
}

// TraitIndex returns the row of the named trait; it panics on a name that
// is not a row, which is a programming error.
func TraitIndex(name string) int {
	i := slices.IndexFunc(TraitKinds[:], func(k TraitKind) bool { return k.Name == name })
	if i < 0 {
		panic("policy: no trait " + name)
	}
	return i
}
