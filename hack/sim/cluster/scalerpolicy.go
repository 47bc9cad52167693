package cluster

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/config"
)

// ScalerPolicy reads the ScalerPolicy ConfigMap at path and divides its
// durations by speed. Headroom schedules are cron expressions on the wall
// clock, which a compressed replay cannot follow, so they are removed;
// dropped lists them so the caller can say so. The result is validated as
// the scaler would.
func ScalerPolicy(path string, speed float64) (cm *unstructured.Unstructured, dropped []string, err error) {
	objs, err := stack.ReadObjects(path)
	if err != nil {
		return nil, nil, err
	}
	if len(objs) != 1 || objs[0].GetKind() != "ConfigMap" {
		return nil, nil, fmt.Errorf("%s: want one ConfigMap carrying a ScalerPolicy", path)
	}
	cm = objs[0]
	doc, _, _ := unstructured.NestedString(cm.Object, "data", "policy.yaml")
	var p map[string]any
	if err := yaml.Unmarshal([]byte(doc), &p); err != nil {
		return nil, nil, fmt.Errorf("%s: data.policy.yaml: %w", path, err)
	}
	def := defaults()
	for _, f := range []struct {
		def  v1alpha1.Duration
		path []string
	}{
		{def.Fallback.PendingAfter, []string{"fallback", "pendingAfter"}}, {def.Fallback.RecoverAfter, []string{"fallback", "recoverAfter"}},
		{def.Limits.ShrinkAfter, []string{"limits", "shrinkAfter"}}, {def.Consolidation.Busy, []string{"consolidation", "busy"}},
		{def.Consolidation.Idle, []string{"consolidation", "idle"}}, {def.Consolidation.Window, []string{"consolidation", "window"}},
	} {
		if err := scaleField(p, speed, f.def.String(), f.path...); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	arches, _, _ := unstructured.NestedMap(p, "headroom", "perArch")
	for arch := range arches {
		d, err := scaleHeadroom(p, speed, arch, def.Headroom.PerArch[""].Window)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		dropped = append(dropped, d...)
	}
	out, err := yaml.Marshal(p)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the scaled ScalerPolicy: %w", err)
	}
	if _, errs := config.Load(out); len(errs) > 0 {
		return nil, nil, fmt.Errorf("the ScalerPolicy scaled by %g is invalid: %w", speed, errs.ToAggregate())
	}
	if err := unstructured.SetNestedField(cm.Object, string(out), "data", "policy.yaml"); err != nil {
		return nil, nil, fmt.Errorf("setting data.policy.yaml: %w", err)
	}
	return cm, dropped, nil
}

// scaleHeadroom scales arch's headroom window (window when unset) and lead
// time, and removes its schedules, returning what it removed.
func scaleHeadroom(p map[string]any, speed float64, arch string, window v1alpha1.Duration) (dropped []string, err error) {
	if err := scaleField(p, speed, window.String(), "headroom", "perArch", arch, "window"); err != nil {
		return nil, err
	}
	if _, found, _ := unstructured.NestedString(p, "headroom", "perArch", arch, "leadTime"); found {
		if err := scaleField(p, speed, "", "headroom", "perArch", arch, "leadTime"); err != nil {
			return nil, err
		}
	}
	if s, found, _ := unstructured.NestedSlice(p, "headroom", "perArch", arch, "schedules"); found && len(s) > 0 {
		dropped = append(dropped, fmt.Sprintf("headroom.perArch.%s.schedules (%d)", arch, len(s)))
		unstructured.RemoveNestedField(p, "headroom", "perArch", arch, "schedules")
	}
	return dropped, nil
}

// defaults is a ScalerPolicy with every default the API sets, with one
// headroom arch (named "") for the defaults each arch gets: the durations
// an unset field stands for are read from the API, never repeated here.
func defaults() v1alpha1.ScalerPolicy {
	p := v1alpha1.ScalerPolicy{Headroom: v1alpha1.HeadroomPolicy{PerArch: map[string]v1alpha1.ArchHeadroom{"": {}}}}
	p.SetDefaults()
	return p
}

// scaleField scales the duration at path, or its default (the API's,
// def) when unset, so that an unset window is compressed as well.
func scaleField(p map[string]any, speed float64, def string, path ...string) error {
	v, found, err := unstructured.NestedString(p, path...)
	if err != nil {
		return fmt.Errorf("%v: %w", path, err)
	}
	if !found {
		v = def
	}
	scaled, err := ScaleString(v, speed)
	if err != nil {
		return fmt.Errorf("%v: %w", path, err)
	}
	return unstructured.SetNestedField(p, scaled, path...)
}
