package policy

import (
	"reflect"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func validatePlatformSections(p *Policy) field.ErrorList {
	var errs field.ErrorList
	if p.Platform != PlatformECI && !reflect.DeepEqual(p.ECI, ECIPolicy{}) {
		errs = append(errs, field.Forbidden(field.NewPath("eci"), "only used with platform: eci, not "+string(p.Platform)))
	}
	if p.Platform != PlatformFargate && !reflect.DeepEqual(p.Fargate, FargatePolicy{}) {
		errs = append(errs, field.Forbidden(field.NewPath("fargate"), "only used with platform: fargate, not "+string(p.Platform)))
	}
	switch p.Platform {
	case PlatformECI:
		errs = append(errs, validateECI(&p.ECI, field.NewPath("eci"))...)
	case PlatformFargate:
		errs = append(errs, validateFargate(p, field.NewPath("fargate"))...)
	}
	return errs
}

func validateECI(e *ECIPolicy, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch e.ImageCache {
	case "auto", "legacy", "off":
	default:
		errs = append(errs, field.NotSupported(p.Child("imageCache"), e.ImageCache, []string{"auto", "legacy", "off"}))
	}
	for _, img := range sortedKeys(e.ImageCacheIDs) {
		if e.ImageCacheIDs[img] == "" {
			errs = append(errs, field.Required(p.Child("imageCacheIDs").Key(img), "an image cache id such as imc-2zebxkiifuyzzlhl****"))
		}
	}
	if e.Specs != "auto" && e.Specs != "off" {
		errs = append(errs, field.NotSupported(p.Child("specs"), e.Specs, []string{"auto", "off"}))
	}
	sp := p.Child("spot")
	switch e.Spot.Strategy {
	case "SpotAsPriceGo":
		if e.Spot.PriceLimit != "" {
			errs = append(errs, field.Forbidden(sp.Child("priceLimit"), "only used with strategy SpotWithPriceLimit"))
		}
	case "SpotWithPriceLimit":
		if f, err := strconv.ParseFloat(e.Spot.PriceLimit, 64); err != nil || f <= 0 {
			errs = append(errs, field.Invalid(sp.Child("priceLimit"), e.Spot.PriceLimit, "must be a positive hourly price such as 0.25"))
		}
	default:
		errs = append(errs, field.NotSupported(sp.Child("strategy"), e.Spot.Strategy, []string{"SpotAsPriceGo", "SpotWithPriceLimit"}))
	}
	if d := e.Spot.Duration; d != nil && *d != 0 && *d != 1 {
		errs = append(errs, field.NotSupported(sp.Child("duration"), *d, []string{"0", "1"}))
	}
	return errs
}

func validateFargate(pol *Policy, p *field.Path) field.ErrorList {
	f := &pol.Fargate
	var errs field.ErrorList
	if f.Unsupported != FargateStrip && f.Unsupported != FargateSkip {
		errs = append(errs, field.NotSupported(p.Child("unsupported"), f.Unsupported, []string{FargateStrip, FargateSkip}))
	}
	for _, k := range sortedKeys(f.ProfileLabels) {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(p.Child("profileLabels").Key(k), k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(f.ProfileLabels[k]) {
			errs = append(errs, field.Invalid(p.Child("profileLabels").Key(k), f.ProfileLabels[k], msg))
		}
	}
	if _, ok := pol.Traits.Tags.Arch["amd64"]; !ok || pol.Arch.Default != "amd64" {
		errs = append(errs, field.Invalid(field.NewPath("arch", "default"), pol.Arch.Default, "EKS Fargate runs only amd64"))
	}
	return errs
}
