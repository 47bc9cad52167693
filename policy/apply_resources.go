package policy

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// kindOf returns which resource section applies to a job container.
func kindOf(cr *v1alpha1.ContainerResources, name string) *v1alpha1.Resources {
	switch name {
	case v1alpha1.ContainerBuild:
		return &cr.Build
	case v1alpha1.ContainerHelper:
		return &cr.Helper
	}
	return &cr.Services
}

func (a *applier) applyResources() {
	r := &a.p.Resources
	// A size class goes first, so that defaults only fill what it leaves.
	if size := a.traits.Of(v1alpha1.TraitSize); size.Value != "" {
		class := r.Sizes[size.Value]
		changed := false
		for i := range a.pod.Spec.Containers {
			c := &a.pod.Spec.Containers[i]
			changed = a.setSize(c, kindOf(&class, c.Name), size.Value) || changed
		}
		a.dec.add(MutSize, size.Value, size.Source, changed)
	}
	if r.JobVariables != nil && *r.JobVariables {
		a.applyJobVariables()
	}
	for i := range a.pod.Spec.Containers {
		c := &a.pod.Spec.Containers[i]
		if filled := a.fillDefaults(c, kindOf(&r.Defaults, c.Name)); len(filled) > 0 {
			a.dec.add(MutResources, c.Name+": "+strings.Join(filled, " "), "resources.defaults", true)
		}
	}
	if len(r.Max) > 0 {
		a.capAll(a.pod.Spec.InitContainers)
		a.capAll(a.pod.Spec.Containers)
	}
}

// fillDefaults sets the requests and limits the runner left unset. A default
// that would contradict a value the runner set (a request above its limit)
// is not applied.
func (a *applier) fillDefaults(c *corev1.Container, def *v1alpha1.Resources) []string {
	var filled []string
	for _, name := range sortedKeys(def.Requests) {
		q, _ := v1alpha1.QuantityOf(def.Requests, name)
		if _, ok := c.Resources.Requests[name]; ok {
			continue
		}
		if lim, ok := c.Resources.Limits[name]; ok && q.Cmp(lim) > 0 {
			a.dec.warn(c.Name + ": default requests." + string(name) + "=" + q.String() + " not applied: above the limit " + lim.String())
			continue
		}
		setQty(&c.Resources.Requests, name, q)
		filled = append(filled, "requests."+string(name)+"="+q.String())
	}
	for _, name := range sortedKeys(def.Limits) {
		q, _ := v1alpha1.QuantityOf(def.Limits, name)
		if _, ok := c.Resources.Limits[name]; ok {
			continue
		}
		if req, ok := c.Resources.Requests[name]; ok && q.Cmp(req) < 0 {
			a.dec.warn(c.Name + ": default limits." + string(name) + "=" + q.String() + " not applied: below the request " + req.String())
			continue
		}
		setQty(&c.Resources.Limits, name, q)
		filled = append(filled, "limits."+string(name)+"="+q.String())
	}
	return filled
}

// setSize applies a size class the job asked for. A class raises values
// below it and fills gaps, but never lowers a value the runner set: the
// runner's config (or the job's KUBERNETES_*_REQUEST overwrite) wins, and
// resources.max still caps the result.
func (a *applier) setSize(c *corev1.Container, class *v1alpha1.Resources, size string) bool {
	changed := false
	for _, name := range sortedKeys(class.Requests) {
		q, _ := v1alpha1.QuantityOf(class.Requests, name)
		changed = a.raiseQty(c, &c.Resources.Requests, "requests", name, q, size) || changed
		if lim, ok := c.Resources.Limits[name]; ok && lim.Cmp(c.Resources.Requests[name]) < 0 {
			changed = a.raiseQty(c, &c.Resources.Limits, "limits", name, c.Resources.Requests[name], size) || changed
		}
	}
	for _, name := range sortedKeys(class.Limits) {
		q, _ := v1alpha1.QuantityOf(class.Limits, name)
		changed = a.raiseQty(c, &c.Resources.Limits, "limits", name, q, size) || changed
	}
	return changed
}

// raiseQty sets list[name] to q when it is unset or lower, reporting a
// runner value it raises.
func (a *applier) raiseQty(c *corev1.Container, list *corev1.ResourceList, kind string, name corev1.ResourceName, q resource.Quantity, size string) bool {
	if old, ok := (*list)[name]; ok {
		if old.Cmp(q) >= 0 {
			return false
		}
		a.dec.warn(c.Name + ": " + kind + "." + string(name) + "=" + old.String() + " raised to " + q.String() + " for size " + size)
	}
	setQty(list, name, q)
	return true
}

// capAll clamps requests and limits to resources.max: a cap never rejects a
// job, it warns.
func (a *applier) capAll(cs []corev1.Container) {
	for i := range cs {
		c := &cs[i]
		for _, l := range []struct {
			kind string
			list corev1.ResourceList
		}{{"requests", c.Resources.Requests}, {"limits", c.Resources.Limits}} {
			for _, name := range sortedKeys(l.list) {
				mx, ok := v1alpha1.QuantityOf(a.p.Resources.Max, name)
				if cur := l.list[name]; ok && cur.Cmp(mx) > 0 {
					l.list[name] = mx.DeepCopy()
					a.dec.add(MutCap, c.Name+" "+l.kind+"."+string(name)+"="+mx.String(), "resources.max (was "+cur.String()+")", true)
					a.dec.warn(c.Name + ": " + l.kind + "." + string(name) + "=" + cur.String() + " capped to " + mx.String() + " by resources.max")
				}
			}
		}
	}
}

func setQty(list *corev1.ResourceList, name corev1.ResourceName, q resource.Quantity) {
	if *list == nil {
		*list = corev1.ResourceList{}
	}
	(*list)[name] = q.DeepCopy()
}
