package v1alpha1

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Defaults of a ScalerPolicy, documented in docs/scaler.md.
const (
	DefaultHeadroomImage = "registry.k8s.io/pause:3.10"
	maxNodePoolWeight    = 100
)

// ScalerArches are the arches the scaler can keep capacity for: the
// architectures Karpenter's well-known labels allow and the AWS provider
// launches (karpenter.sh/v1 ArchitectureAmd64 and ArchitectureArm64). A
// placement Policy knows more arches; a NodePool cannot provide them.
var ScalerArches = sets.New("amd64", "arm64")

// limitResources are the NodePool limits the scaler manages.
var limitResources = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}

// SetDefaults fills every unset field of the policy.
func (p *ScalerPolicy) SetDefaults() {
	f := &p.Fallback
	defaultDuration(&f.PendingAfter, "3m")
	defaultDuration(&f.RecoverAfter, "15m")
	if f.MinPending == 0 {
		f.MinPending = 1
	}
	if f.OnDemandWeight == 0 {
		f.OnDemandWeight = maxNodePoolWeight
	}
	defaultDuration(&p.Limits.ShrinkAfter, "30m")
	c := &p.Consolidation
	defaultDuration(&c.Busy, "10m")
	defaultDuration(&c.Idle, "1m")
	defaultDuration(&c.Window, "10m")
	if c.BusyThreshold == 0 {
		c.BusyThreshold = 5
	}
	for arch, h := range p.Headroom.PerArch {
		if h.Quantile == 0 {
			h.Quantile = 0.9
		}
		defaultDuration(&h.Window, "1h")
		p.Headroom.PerArch[arch] = h
	}
	t := &p.Headroom.PodTemplate
	if t.Image == "" {
		t.Image = DefaultHeadroomImage
	}
	if t.CapacityType == "" {
		t.CapacityType = CapacitySpot
	}
	if t.CPU.String() == "" && t.CPU.Err() == nil {
		t.CPU = MustQuantity("1")
	}
	if t.Memory.String() == "" && t.Memory.Err() == nil {
		t.Memory = MustQuantity("2Gi")
	}
}

func defaultDuration(d *Duration, def string) {
	if d.IsZero() {
		*d = ParseDuration(def)
	}
}

// Validate checks a defaulted ScalerPolicy and returns every problem with
// its field path.
func (p *ScalerPolicy) Validate() field.ErrorList {
	var errs field.ErrorList
	if p.APIVersion != GroupVersion {
		errs = append(errs, RequiredOrUnsupported(field.NewPath("apiVersion"), p.APIVersion, GroupVersion))
	}
	if p.Kind != KindScalerPolicy {
		errs = append(errs, RequiredOrUnsupported(field.NewPath("kind"), p.Kind, KindScalerPolicy))
	}
	errs = append(errs, p.validateNodePools(field.NewPath("nodePools"))...)
	errs = append(errs, p.validateFallback(field.NewPath("fallback"))...)
	errs = append(errs, p.validateLimits(field.NewPath("limits"))...)
	errs = append(errs, p.validateConsolidation(field.NewPath("consolidation"))...)
	errs = append(errs, p.validateHeadroom(field.NewPath("headroom"))...)
	return errs
}

func (p *ScalerPolicy) validateNodePools(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, np := range p.NodePools {
		ip := path.Index(i)
		errs = append(errs, dnsName(np.Name, ip.Child("name"))...)
		if seen.Has(np.Name) {
			errs = append(errs, field.Duplicate(ip.Child("name"), np.Name))
		}
		seen.Insert(np.Name)
		if np.Role != RoleSpot && np.Role != RoleOnDemand {
			errs = append(errs, field.NotSupported(ip.Child("role"), np.Role, []NodePoolRole{RoleSpot, RoleOnDemand}))
		}
		if np.Weight != nil && (*np.Weight < 1 || *np.Weight > maxNodePoolWeight) {
			errs = append(errs, field.Invalid(ip.Child("weight"), *np.Weight, "must be between 1 and 100"))
		}
		if np.Role == RoleOnDemand && np.Weight == nil && p.FallbackEnabled() {
			errs = append(errs, field.Required(ip.Child("weight"), "the normal weight that fallback restores"))
		}
	}
	return errs
}

func dnsName(name string, path *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(path, name, msg))
	}
	return errs
}

func (p *ScalerPolicy) validateFallback(path *field.Path) field.ErrorList {
	f := p.Fallback
	errs := durations(path, map[string]Duration{"pendingAfter": f.PendingAfter, "recoverAfter": f.RecoverAfter})
	onDemand := slices.ContainsFunc(p.NodePools, func(np ScalerNodePool) bool { return np.Role == RoleOnDemand })
	if p.FallbackEnabled() && !onDemand {
		errs = append(errs, field.Required(field.NewPath("nodePools"),
			"an entry with role on-demand: the spot fallback (fallback.enabled, on by default) moves pods to on-demand capacity; list that NodePool, or set fallback.enabled: false"))
	}
	if f.MinPending < 1 {
		errs = append(errs, field.Invalid(path.Child("minPending"), f.MinPending, "must be at least 1"))
	}
	if f.OnDemandWeight < 1 || f.OnDemandWeight > maxNodePoolWeight {
		errs = append(errs, field.Invalid(path.Child("onDemandWeight"), f.OnDemandWeight, "must be between 1 and 100"))
	}
	return errs
}

// durations validates named durations in a stable order.
func durations(path *field.Path, ds map[string]Duration) field.ErrorList {
	names := make([]string, 0, len(ds))
	for n := range ds {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs field.ErrorList
	for _, n := range names {
		d := ds[n]
		if d.Err() != nil {
			errs = append(errs, field.Invalid(path.Child(n), d.String(), d.Err().Error()))
		}
	}
	return errs
}

func (p *ScalerPolicy) validateLimits(path *field.Path) field.ErrorList {
	errs := durations(path, map[string]Duration{"shrinkAfter": p.Limits.ShrinkAfter})
	names := sets.List(sets.KeySet(p.Limits.NodePools))
	for _, name := range names {
		lp := path.Child("nodePools").Key(name)
		if _, ok := p.Pool(name); !ok {
			errs = append(errs, field.NotFound(lp, "not listed in nodePools"))
		}
		errs = append(errs, validateLimitRange(p.Limits.NodePools[name], lp)...)
	}
	return errs
}

func validateLimitRange(r LimitRange, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, limitQuantities(r.Floor, path.Child("floor"))...)
	errs = append(errs, limitQuantities(r.Ceiling, path.Child("ceiling"))...)
	for _, res := range limitResources {
		floor, okF := r.Floor[res]
		ceiling, okC := r.Ceiling[res]
		if !okC {
			if okF {
				errs = append(errs, field.Required(path.Child("ceiling").Key(string(res)), "a floor needs a ceiling"))
			}
			continue
		}
		if okF && floor.Err() == nil && ceiling.Err() == nil {
			fv, cv := floor.Value(), ceiling.Value()
			if fv.Cmp(cv) > 0 {
				errs = append(errs, field.Invalid(path.Child("ceiling").Key(string(res)), ceiling.String(),
					fmt.Sprintf("must not be below the floor %s", floor.String())))
			}
		}
	}
	return errs
}

func limitQuantities(m map[corev1.ResourceName]Quantity, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, res := range sets.List(sets.KeySet(m)) {
		q := m[res]
		switch {
		case res != corev1.ResourceCPU && res != corev1.ResourceMemory:
			errs = append(errs, field.NotSupported(path.Key(string(res)), res, limitResources))
		case q.Err() != nil:
			errs = append(errs, field.Invalid(path.Key(string(res)), q.String(), q.Err().Error()))
		case quantitySign(q) < 0:
			errs = append(errs, field.Invalid(path.Key(string(res)), q.String(), "must not be negative"))
		}
	}
	return errs
}

func (p *ScalerPolicy) validateConsolidation(path *field.Path) field.ErrorList {
	c := p.Consolidation
	errs := durations(path, map[string]Duration{"busy": c.Busy, "idle": c.Idle, "window": c.Window})
	if c.BusyThreshold < 1 {
		errs = append(errs, field.Invalid(path.Child("busyThreshold"), c.BusyThreshold, "must be at least 1"))
	}
	if c.Busy.Err() == nil && c.Idle.Err() == nil && c.Idle.Value() > c.Busy.Value() {
		errs = append(errs, field.Invalid(path.Child("idle"), c.Idle.String(), "must not be longer than busy"))
	}
	for i, name := range c.NodePools {
		if _, ok := p.Pool(name); !ok {
			errs = append(errs, field.NotFound(path.Child("nodePools").Index(i), name))
		}
	}
	return errs
}

func (p *ScalerPolicy) validateHeadroom(path *field.Path) field.ErrorList {
	h := p.Headroom
	var errs field.ErrorList
	for _, arch := range sets.List(sets.KeySet(h.PerArch)) {
		ap := path.Child("perArch").Key(arch)
		if !ScalerArches.Has(arch) {
			errs = append(errs, field.NotSupported(ap, arch, sets.List(ScalerArches)))
		}
		errs = append(errs, validateArchHeadroom(h.PerArch[arch], ap)...)
	}
	tp := path.Child("podTemplate")
	for name, q := range map[string]Quantity{"cpu": h.PodTemplate.CPU, "memory": h.PodTemplate.Memory} {
		if q.Err() != nil {
			errs = append(errs, field.Invalid(tp.Child(name), q.String(), q.Err().Error()))
		} else if quantitySign(q) <= 0 {
			errs = append(errs, field.Invalid(tp.Child(name), q.String(), "must be positive"))
		}
	}
	if ct := h.PodTemplate.CapacityType; ct != CapacitySpot && ct != CapacityOnDemand {
		errs = append(errs, field.NotSupported(tp.Child("capacityType"), ct, []string{CapacitySpot, CapacityOnDemand}))
	}
	if name := h.PodTemplate.SchedulerName; name != "" {
		for _, msg := range validation.IsDNS1123Subdomain(name) {
			errs = append(errs, field.Invalid(tp.Child("schedulerName"), name, msg))
		}
		if name == DefaultScheduler {
			errs = append(errs, field.Invalid(tp.Child("schedulerName"), name, "is what pods get without it; leave schedulerName out"))
		}
	}
	return errs
}

func validateArchHeadroom(a ArchHeadroom, path *field.Path) field.ErrorList {
	errs := durations(path, map[string]Duration{"window": a.Window, "leadTime": a.LeadTime})
	if lt := a.LeadTime; !lt.IsZero() && lt.Err() == nil && (lt.Value() <= 0 || lt.Value() >= a.Window.Value()) {
		errs = append(errs, field.Invalid(path.Child("leadTime"), lt.String(), fmt.Sprintf("must be positive and shorter than window (%s)", a.Window)))
	}
	if a.Min < 0 {
		errs = append(errs, field.Invalid(path.Child("min"), a.Min, "must not be negative"))
	}
	if a.Max < a.Min {
		errs = append(errs, field.Invalid(path.Child("max"), a.Max, fmt.Sprintf("must not be below min (%d)", a.Min)))
	}
	if a.Quantile <= 0 || a.Quantile > 1 {
		errs = append(errs, field.Invalid(path.Child("quantile"), a.Quantile, "must be in (0, 1]"))
	}
	for i, s := range a.Schedules {
		sp := path.Child("schedules").Index(i)
		if strings.TrimSpace(s.Cron) == "" {
			// The syntax is checked where the policy is loaded
			// (scaler/config.Load), which has the cron library.
			errs = append(errs, field.Required(sp.Child("cron"), "a schedule needs a cron expression"))
		}
		if s.Duration.Err() != nil {
			errs = append(errs, field.Invalid(sp.Child("duration"), s.Duration.String(), s.Duration.Err().Error()))
		} else if s.Duration.Value() <= 0 {
			errs = append(errs, field.Required(sp.Child("duration"), "a schedule needs a positive duration"))
		}
		if s.Min < 0 || s.Min > a.Max {
			errs = append(errs, field.Invalid(sp.Child("min"), s.Min, fmt.Sprintf("must be between 0 and max (%d)", a.Max)))
		}
	}
	return errs
}

func quantitySign(q Quantity) int {
	v := q.Value()
	return v.Sign()
}
