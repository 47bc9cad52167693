package v1alpha1

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validateScheduling(pol *Policy, p *field.Path) field.ErrorList {
	s := &pol.Scheduling
	errs := validateTolerations(s.Tolerations, p.Child("tolerations"))
	for _, arch := range sortedKeys(s.ByArch) {
		ap := p.Child("byArch").Key(arch)
		if _, ok := pol.Traits.Tags.Arch[arch]; !ok {
			errs = append(errs, field.Invalid(ap, arch, "must be one of the arches under traits.tags.arch"))
		}
		errs = append(errs, validateTolerations(s.ByArch[arch].Tolerations, ap.Child("tolerations"))...)
	}
	for _, ct := range sortedKeys(s.ByCapacityType) {
		cp := p.Child("byCapacityType").Key(ct)
		if ct != CapacitySpot && ct != CapacityOnDemand {
			errs = append(errs, field.NotSupported(cp, ct, []string{CapacitySpot, CapacityOnDemand}))
		}
		if pl := PlatformOf(pol.Platform); pl != nil && !pl.ChoosesCapacity {
			errs = append(errs, field.Forbidden(cp, "platform "+string(pol.Platform)+" places no capacity type; use scheduling.tolerations"))
		}
		errs = append(errs, validateTolerations(s.ByCapacityType[ct].Tolerations, cp.Child("tolerations"))...)
	}
	if s.PriorityClassName != "" {
		errs = append(errs, validatePriorityClassName(s.PriorityClassName, p.Child("priorityClassName"))...)
	}
	errs = append(errs, validateSchedulerName(pol, p.Child("schedulerName"))...)
	errs = append(errs, validateTolerations(s.AllowedTolerations, p.Child("allowedTolerations"))...)
	seen := sets.New[string]()
	for i, name := range s.AllowedPriorityClassNames {
		np := p.Child("allowedPriorityClassNames").Index(i)
		errs = append(errs, validatePriorityClassName(name, np)...)
		if seen.Has(name) {
			errs = append(errs, field.Duplicate(np, name))
		}
		seen.Insert(name)
	}
	return errs
}

func validatePriorityClassName(name string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	if name == HeadroomPriorityCls {
		errs = append(errs, field.Invalid(p, name, "is the negative priority of jobfit's headroom placeholders, which jobs must be able to preempt"))
	}
	return errs
}

// DefaultScheduler is the name of kube-scheduler's default profile, which
// the API server gives a pod that names none.
const DefaultScheduler = "default-scheduler"

func validateSchedulerName(pol *Policy, p *field.Path) field.ErrorList {
	name := pol.Scheduling.SchedulerName
	if name == "" {
		return nil
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	if name == DefaultScheduler {
		errs = append(errs, field.Invalid(p, name, "is what pods get without it; leave schedulerName out"))
	}
	if pol.Platform != "" && pol.Platform != PlatformKarpenter && pol.Platform != PlatformGeneric {
		errs = append(errs, field.Forbidden(p, "platform "+string(pol.Platform)+" places pods with its own scheduler; only karpenter and generic pods may name one"))
	}
	return errs
}

// validateNamespaceScheduling keeps a namespace policy within what the
// cluster policy allows. A toleration opens tainted nodes (GPU pools,
// dedicated pools) and a priority class lets pods preempt others, so a
// namespace may only use the tolerations and priority class of the cluster
// policy, or those it lists under allowedTolerations and
// allowedPriorityClassNames.
func validateNamespaceScheduling(cluster, ns *Policy) field.ErrorList {
	var errs field.ErrorList
	s, p := &ns.Scheduling, field.NewPath("scheduling")
	if len(s.AllowedTolerations) > 0 {
		errs = append(errs, field.Forbidden(p.Child("allowedTolerations"), "set by the cluster policy only"))
	}
	if len(s.AllowedPriorityClassNames) > 0 {
		errs = append(errs, field.Forbidden(p.Child("allowedPriorityClassNames"), "set by the cluster policy only"))
	}
	allowed := append(allTolerations(&cluster.Scheduling), cluster.Scheduling.AllowedTolerations...)
	check := func(ts []corev1.Toleration, tp *field.Path) {
		for i := range ts {
			if !slices.ContainsFunc(allowed, func(a corev1.Toleration) bool { return Covers(&a, &ts[i]) }) {
				errs = append(errs, field.Forbidden(tp.Index(i), "toleration "+FormatToleration(ts[i])+
					" is not in the cluster policy's scheduling section nor in its scheduling.allowedTolerations"))
			}
		}
	}
	check(s.Tolerations, p.Child("tolerations"))
	for _, k := range sortedKeys(s.ByArch) {
		check(s.ByArch[k].Tolerations, p.Child("byArch").Key(k).Child("tolerations"))
	}
	for _, k := range sortedKeys(s.ByCapacityType) {
		check(s.ByCapacityType[k].Tolerations, p.Child("byCapacityType").Key(k).Child("tolerations"))
	}
	if n := s.SchedulerName; n != "" && n != cluster.Scheduling.SchedulerName {
		errs = append(errs, field.Forbidden(p.Child("schedulerName"), "scheduler "+n+" is not the cluster policy's; which scheduler places job pods is the cluster's choice"))
	}
	if n := s.PriorityClassName; n != "" && n != cluster.Scheduling.PriorityClassName &&
		!slices.Contains(cluster.Scheduling.AllowedPriorityClassNames, n) {
		errs = append(errs, field.Forbidden(p.Child("priorityClassName"),
			"priority class "+n+" is neither the cluster policy's nor in its scheduling.allowedPriorityClassNames"))
	}
	return errs
}

// allTolerations lists every toleration a scheduling section may add.
func allTolerations(s *SchedulingPolicy) []corev1.Toleration {
	out := append([]corev1.Toleration(nil), s.Tolerations...)
	for _, k := range sortedKeys(s.ByArch) {
		out = append(out, s.ByArch[k].Tolerations...)
	}
	for _, k := range sortedKeys(s.ByCapacityType) {
		out = append(out, s.ByCapacityType[k].Tolerations...)
	}
	return out
}
