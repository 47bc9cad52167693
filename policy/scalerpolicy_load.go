package policy

import (
	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// CronParser parses headroom schedules: five standard fields, UTC.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// LoadScalerPolicy decodes a bare ScalerPolicy or a ConfigMap carrying one,
// defaults and validates it. A policy with errors is never returned.
func LoadScalerPolicy(data []byte) (*v1alpha1.ScalerPolicy, field.ErrorList) {
	doc, errs := ReadDocument(data)
	if len(errs) > 0 {
		return nil, errs
	}
	if doc.Kind != v1alpha1.KindScalerPolicy {
		return nil, field.ErrorList{v1alpha1.RequiredOrUnsupported(field.NewPath("kind"), doc.Kind, v1alpha1.KindScalerPolicy)}
	}
	p := &v1alpha1.ScalerPolicy{}
	if errs := DecodeStrict(doc.JSON, p); len(errs) > 0 {
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
			if _, err := CronParser.Parse(s.Cron); err != nil {
				path := field.NewPath("headroom", "perArch").Key(arch).Child("schedules").Index(i).Child("cron")
				errs = append(errs, field.Invalid(path, s.Cron, err.Error()))
			}
		}
	}
	return errs
}
