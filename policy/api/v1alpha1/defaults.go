package v1alpha1

// Default values, exported so that docs and tests can name them.
var (
	DefaultSources      = []TraitSource{SourceLabel, SourceVariable, SourceRunnerTags}
	DefaultArchVars     = []string{"JOBFIT_ARCH"}
	DefaultCapacityVars = []string{"JOBFIT_CAPACITY_TYPE"}
	DefaultSizeVars     = []string{"JOBFIT_SIZE"}
	DefaultArchTags     = map[string][]string{
		"amd64": {"amd64", "x86", "x86-64", "x86_64"},
		"arm64": {"arm64", "aarch64"},
	}
	DefaultCapacityTags = map[string][]string{
		CapacitySpot:     {CapacitySpot},
		CapacityOnDemand: {CapacityOnDemand},
	}
	DefaultCacheContainers = []string{ContainerBuild, ContainerHelper}
)

// DefaultMargin is added to the job timeout for do-not-disrupt: job-timeout.
const DefaultMargin = "15m"

// SetDefaults fills every field the user left unset. Platform sections
// (eci, fargate) are defaulted only for their own platform.
func (p *Policy) SetDefaults() {
	if p.Platform == "" {
		p.Platform = PlatformGeneric
	}
	defaultTraits(&p.Traits)
	if p.Arch.Default == "" {
		p.Arch.Default = "amd64"
	}
	if p.Arch.OS == "" {
		p.Arch.OS = "linux"
	}
	if p.Arch.HelperImage == "" {
		p.Arch.HelperImage = HelperImageRewrite
	}
	if p.Capacity.Default == "" {
		p.Capacity.Default = CapacitySpot
	}
	if p.Capacity.Enforcement == "" {
		p.Capacity.Enforcement = EnforcementRequired
	}
	if p.Capacity.Fallback == "" {
		p.Capacity.Fallback = FallbackFollowScaler
	}
	if p.Disruption.DoNotDisrupt == "" {
		p.Disruption.DoNotDisrupt = DoNotDisruptJobTimeout
	}
	if p.Disruption.Margin == "" {
		p.Disruption.Margin = DefaultMargin
	}
	for i := range p.Caches {
		if len(p.Caches[i].Containers) == 0 {
			p.Caches[i].Containers = append([]string(nil), DefaultCacheContainers...)
		}
	}
	if pl := PlatformOf(p.Platform); pl != nil && pl.SetDefaults != nil {
		pl.SetDefaults(p)
	}
}

func defaultTraits(t *Traits) {
	if len(t.Sources) == 0 {
		t.Sources = append([]TraitSource(nil), DefaultSources...)
	}
	for i := range TraitKinds {
		k := &TraitKinds[i]
		if vars := k.Variables(&t.Variables); *vars == nil {
			*vars = append([]string(nil), k.DefaultVariables...)
		}
		if tags := k.Tags(&t.Tags); *tags == nil && k.DefaultTags != nil {
			*tags = copyAliases(k.DefaultTags)
		}
	}
}

func copyAliases(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }
