package policy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Merge returns the effective policy for a namespace: the cluster policy
// with the sections it lists in namespaceOverrides replaced by the namespace
// policy's. A namespace policy never goes beyond the cluster's caps: it may
// lower resources.max, and its defaults and sizes are clamped to the caps,
// with a warning each. Sections the cluster does not open are errors.
func Merge(cluster *Policy, nsData []byte) (*Policy, []string, field.ErrorList) {
	doc, errs := ReadDocument(nsData)
	if len(errs) > 0 {
		return nil, nil, errs
	}
	if doc.Kind != v1alpha1.KindPolicy {
		return nil, nil, field.ErrorList{v1alpha1.RequiredOrUnsupported(field.NewPath("kind"), doc.Kind, v1alpha1.KindPolicy)}
	}
	ns, errs := decodePolicy(doc)
	if len(errs) > 0 {
		return nil, nil, errs
	}
	if errs := ns.ValidateNamespaceScope(&cluster.Policy); len(errs) > 0 {
		return nil, nil, errs
	}
	eff := clonePolicy(cluster)
	eff.Metadata.Name = mergedName(cluster.Name(), ns.Name())
	for _, s := range v1alpha1.Sections {
		if !slices.Contains(cluster.NamespaceOverrides, s.Name) {
			continue
		}
		if v := reflect.ValueOf(s.Of(&ns.Policy)).Elem(); !v.IsZero() {
			reflect.ValueOf(s.Of(&eff.Policy)).Elem().Set(v)
		}
	}
	// What namespaces may use stays the cluster's to say.
	eff.Scheduling.AllowedTolerations = cluster.Scheduling.AllowedTolerations
	eff.Scheduling.AllowedPriorityClassNames = cluster.Scheduling.AllowedPriorityClassNames
	// A namespace that overrides resources without a word about job
	// variables keeps the cluster's choice: caps still bound them.
	if ns.Resources.JobVariables == nil {
		eff.Resources.JobVariables = cluster.Resources.JobVariables
	}
	var warns []string
	if !reflect.ValueOf(ns.Resources).IsZero() {
		eff.Resources.Max, warns = lowerCaps(cluster.Resources.Max, ns.Resources.Max)
		warns = append(warns, clampToCaps(&eff.Resources)...)
	}
	if errs := Prepare(eff); len(errs) > 0 {
		return nil, nil, errs
	}
	return eff, warns, nil
}

// mergedName names the effective policy "<cluster>.<namespace policy>", a
// valid name that says where the policy came from.
func mergedName(cluster, ns string) string {
	switch {
	case ns == "":
		ns = "namespace"
	case cluster == "":
		return ns
	}
	return strings.Trim(cluster+"."+ns, ".")
}

// lowerCaps returns the cluster caps, lowered where the namespace asks.
func lowerCaps(cluster, ns map[corev1.ResourceName]v1alpha1.Quantity) (map[corev1.ResourceName]v1alpha1.Quantity, []string) {
	out := make(map[corev1.ResourceName]v1alpha1.Quantity, len(cluster))
	for k, v := range cluster {
		out[k] = v
	}
	var warns []string
	for _, k := range sortedKeys(ns) {
		q, ok := v1alpha1.QuantityOf(ns, k)
		if !ok {
			continue
		}
		if c, capped := v1alpha1.QuantityOf(cluster, k); capped && q.Cmp(c) > 0 {
			warns = append(warns, fmt.Sprintf("resources.max.%s=%s is above the cluster cap %s; the cluster cap applies", k, q.String(), c.String()))
			continue
		}
		out[k] = ns[k]
	}
	return out, warns
}

// clampToCaps lowers defaults and sizes above the caps.
func clampToCaps(r *v1alpha1.ResourcePolicy) []string {
	var warns []string
	clamp := func(m map[corev1.ResourceName]v1alpha1.Quantity, path string) {
		for _, k := range sortedKeys(m) {
			q, ok := v1alpha1.QuantityOf(m, k)
			mx, capped := v1alpha1.QuantityOf(r.Max, k)
			if ok && capped && q.Cmp(mx) > 0 {
				warns = append(warns, fmt.Sprintf("%s.%s=%s clamped to the cluster cap %s", path, k, q.String(), mx.String()))
				m[k] = r.Max[k]
			}
		}
	}
	each := func(cr *v1alpha1.ContainerResources, path string) {
		for _, c := range []string{v1alpha1.ContainerBuild, v1alpha1.ContainerHelper, v1alpha1.ContainerServices} {
			res := kindOf(cr, c)
			clamp(res.Requests, path+"."+c+".requests")
			clamp(res.Limits, path+"."+c+".limits")
		}
	}
	each(&r.Defaults, "resources.defaults")
	for _, name := range sortedKeys(r.Sizes) {
		cr := r.Sizes[name]
		each(&cr, "resources.sizes."+name)
	}
	return warns
}

// clonePolicy deep-copies a policy through its JSON form.
func clonePolicy(p *Policy) *Policy {
	b, err := json.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("policy does not round-trip through JSON: %v", err))
	}
	out := &Policy{}
	if err := json.Unmarshal(b, out); err != nil {
		panic(fmt.Sprintf("policy does not round-trip through JSON: %v", err))
	}
	return out
}
