package nodepool

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/karpenter/pkg/apis"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
)

// poolFields are the behavioural NodePool fields jobfit manages. A nil
// field is not managed for that pool.
type poolFields struct {
	Weight           *int32
	Limits           corev1.ResourceList
	ConsolidateAfter *time.Duration
}

// current reads from np the fields that desired manages.
func current(np *karpv1.NodePool, desired poolFields) poolFields {
	var f poolFields
	if desired.Weight != nil {
		f.Weight = np.Spec.Weight
	}
	if desired.Limits != nil {
		f.Limits = corev1.ResourceList{}
		for name := range desired.Limits {
			if q, ok := np.Spec.Limits[name]; ok {
				f.Limits[name] = q
			}
		}
	}
	if desired.ConsolidateAfter != nil && np.Spec.Disruption.ConsolidateAfter.Duration != nil {
		d := *np.Spec.Disruption.ConsolidateAfter.Duration
		f.ConsolidateAfter = &d
	}
	return f
}

// changes describes each field that differs, as "field from→to", keyed by
// the metric's field label.
func changes(from, to poolFields) map[string]string {
	out := map[string]string{}
	if to.Weight != nil && (from.Weight == nil || *from.Weight != *to.Weight) {
		out["weight"] = fmt.Sprintf("weight %s→%d", int32String(from.Weight), *to.Weight)
	}
	for name, q := range to.Limits {
		old, ok := from.Limits[name]
		if !ok || old.Cmp(q) != 0 {
			was := "unset"
			if ok {
				was = old.String()
			}
			out["limits."+string(name)] = fmt.Sprintf("limits.%s %s→%s", name, was, q.String())
		}
	}
	if to.ConsolidateAfter != nil && (from.ConsolidateAfter == nil || *from.ConsolidateAfter != *to.ConsolidateAfter) {
		was := "unset"
		if from.ConsolidateAfter != nil {
			was = from.ConsolidateAfter.String()
		}
		out["disruption.consolidateAfter"] = fmt.Sprintf("disruption.consolidateAfter %s→%s", was, to.ConsolidateAfter.String())
	}
	return out
}

func int32String(p *int32) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}

func describe(ch map[string]string) string {
	parts := make([]string, 0, len(ch))
	for _, v := range ch {
		parts = append(parts, v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// apiVersion is the NodePool's group/version, karpenter.sh/v1, as
// scaler.AddToScheme registers it.
var apiVersion = schema.GroupVersion{Group: apis.Group, Version: "v1"}.String()

// applyObject is the server-side apply request for name: only the managed
// fields, never the template.
func applyObject(name string, f poolFields) *unstructured.Unstructured {
	spec := map[string]any{}
	if f.Weight != nil {
		spec["weight"] = int64(*f.Weight)
	}
	if len(f.Limits) > 0 {
		limits := map[string]any{}
		for n, q := range f.Limits {
			limits[string(n)] = q.String()
		}
		spec["limits"] = limits
	}
	if f.ConsolidateAfter != nil {
		spec["disruption"] = map[string]any{"consolidateAfter": durationString(*f.ConsolidateAfter)}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": apiVersion,
		"kind":       "NodePool",
		"metadata":   map[string]any{"name": name},
		"spec":       spec,
	}}
}

// durationString writes a duration the way people write it in a NodePool
// (10m, 1h30m, 45s), which the CRD's pattern accepts.
func durationString(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
