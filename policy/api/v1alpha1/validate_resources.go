package v1alpha1

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validateResources(r *ResourcePolicy, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateQuantities(r.Max, p.Child("max"))...)
	errs = append(errs, validateContainerResources(&r.Defaults, r.Max, p.Child("defaults"))...)
	for _, name := range sortedKeys(r.Sizes) {
		sp := p.Child("sizes").Key(name)
		for _, msg := range validation.IsDNS1123Label(name) {
			errs = append(errs, field.Invalid(sp, name, msg))
		}
		cr := r.Sizes[name]
		if isZeroResources(cr) {
			errs = append(errs, field.Required(sp, "a size class must set some requests or limits"))
		}
		errs = append(errs, validateContainerResources(&cr, r.Max, sp)...)
	}
	return errs
}

func isZeroResources(cr ContainerResources) bool {
	return len(cr.Build.Requests)+len(cr.Build.Limits)+len(cr.Helper.Requests)+
		len(cr.Helper.Limits)+len(cr.Services.Requests)+len(cr.Services.Limits) == 0
}

func validateContainerResources(cr *ContainerResources, maxes map[corev1.ResourceName]Quantity, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, c := range []struct {
		name string
		r    *Resources
	}{{ContainerBuild, &cr.Build}, {ContainerHelper, &cr.Helper}, {"services", &cr.Services}} {
		cp := p.Child(c.name)
		errs = append(errs, validateQuantities(c.r.Requests, cp.Child("requests"))...)
		errs = append(errs, validateQuantities(c.r.Limits, cp.Child("limits"))...)
		errs = append(errs, requestsWithinLimits(c.r, cp)...)
		errs = append(errs, withinCaps(c.r.Requests, maxes, cp.Child("requests"))...)
		errs = append(errs, withinCaps(c.r.Limits, maxes, cp.Child("limits"))...)
	}
	return errs
}

func validateQuantities(m map[corev1.ResourceName]Quantity, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedKeys(m) {
		q := m[name]
		qp := p.Key(string(name))
		for _, msg := range validation.IsQualifiedName(string(name)) {
			errs = append(errs, field.Invalid(qp, name, "resource name: "+msg))
		}
		if q.Err() != nil {
			errs = append(errs, field.Invalid(qp, q.String(), "must be a quantity such as 500m, 2 or 4Gi"))
			continue
		}
		if v := q.Value(); v.Sign() < 0 {
			errs = append(errs, field.Invalid(qp, q.String(), "must not be negative"))
		}
	}
	return errs
}

func requestsWithinLimits(r *Resources, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedKeys(r.Requests) {
		req, lim := r.Requests[name], r.Limits[name]
		if lim.Err() != nil || req.Err() != nil || lim.String() == "" {
			continue
		}
		if rv, lv := req.Value(), lim.Value(); rv.Cmp(lv) > 0 {
			errs = append(errs, field.Invalid(p.Child("requests").Key(string(name)), req.String(),
				fmt.Sprintf("must not exceed the limit %s", lim.String())))
		}
	}
	return errs
}

// withinCaps reports caps below defaults: a default above resources.max
// could never be applied, which is a mistake in the policy, not the job.
func withinCaps(m, maxes map[corev1.ResourceName]Quantity, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, name := range sortedKeys(m) {
		mx, ok := maxes[name]
		q := m[name]
		if !ok || mx.Err() != nil || q.Err() != nil {
			continue
		}
		if qv, mv := q.Value(), mx.Value(); qv.Cmp(mv) > 0 {
			errs = append(errs, field.Invalid(field.NewPath("resources", "max").Key(string(name)), mx.String(),
				fmt.Sprintf("cap is below %s (%s)", p.Key(string(name)), q.String())))
		}
	}
	return errs
}

// QuantityOf returns the parsed value of m[name] and whether it is set.
func QuantityOf(m map[corev1.ResourceName]Quantity, name corev1.ResourceName) (resource.Quantity, bool) {
	q, ok := m[name]
	if !ok || q.Err() != nil {
		return resource.Quantity{}, false
	}
	return q.Value(), true
}
