// Package config loads the scaler's ScalerPolicy: the document loader with
// its cron check (Load), and the controller that keeps the policy in force
// in a Store by the rule every jobfit component shares (policy/source).
package config

import (
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/schedule"
)

// Load decodes a bare ScalerPolicy or a ConfigMap carrying one, defaults
// and validates it. A policy with errors is never returned.
func Load(data []byte) (*v1alpha1.ScalerPolicy, field.ErrorList) {
	doc, errs := policy.ReadDocument(data)
	if len(errs) > 0 {
		return nil, errs
	}
	if doc.Kind != v1alpha1.KindScalerPolicy {
		return nil, field.ErrorList{v1alpha1.RequiredOrUnsupported(field.NewPath("kind"), doc.Kind, v1alpha1.KindScalerPolicy)}
	}
	p := &v1alpha1.ScalerPolicy{}
	if errs := policy.DecodeStrict(doc.JSON, p); len(errs) > 0 {
		return nil, errs
	}
	if p.Metadata.Name == "" {
		p.Metadata.Name = doc.Name
	}
	p.SetDefaults()
	errs = append(p.Validate(), validateSchedules(p)...)
	if len(errs) > 0 {
		return nil, errs
	}
	return p, nil
}

// validateSchedules checks the syntax of the headroom schedules' cron
// expressions, which the API package (k8s.io/api and apimachinery only)
// cannot parse.
func validateSchedules(p *v1alpha1.ScalerPolicy) field.ErrorList {
	var errs field.ErrorList
	for _, arch := range sets.List(sets.KeySet(p.Headroom.PerArch)) {
		for i, s := range p.Headroom.PerArch[arch].Schedules {
			if s.Cron == "" {
				continue // reported by Validate
			}
			if _, err := schedule.Parser.Parse(s.Cron); err != nil {
				path := field.NewPath("headroom", "perArch").Key(arch).Child("schedules").Index(i).Child("cron")
				errs = append(errs, field.Invalid(path, s.Cron, err.Error()))
			}
		}
	}
	return errs
}
