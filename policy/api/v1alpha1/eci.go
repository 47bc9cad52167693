package v1alpha1

import (
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PlatformECI is Alibaba Cloud ECI (ACK Serverless).
const PlatformECI Platform = "eci"

// ECI is Alibaba Cloud ECI (ACK Serverless): its section is eci.
var ECI = &PlatformSpec{
	Name:            PlatformECI,
	Section:         "eci",
	SectionOf:       func(p *Policy) any { return &p.ECI },
	SetDefaults:     func(p *Policy) { p.ECI.SetDefaults() },
	Validate:        func(p *Policy) field.ErrorList { return p.ECI.Validate(field.NewPath("eci")) },
	ChoosesCapacity: true,
}

// ECIPolicy holds Alibaba Cloud ECI (ACK Serverless) rules.
type ECIPolicy struct {
	// ImageCache is auto (eci-auto-imc), legacy (eci-image-cache) or off.
	ImageCache string `json:"imageCache,omitempty"`
	// ImageCacheIDs maps a job image to an image cache id (eci-imc-id).
	ImageCacheIDs map[string]string `json:"imageCacheIDs,omitempty"`
	// Spot holds the spot annotations used when the pod goes on spot.
	Spot ECISpot `json:"spot,omitempty"`
	// Specs is auto (derive eci-use-specs from requests and arch) or off.
	Specs string `json:"specs,omitempty"`
	// VirtualNode adds the virtual-kubelet selector and tolerations.
	VirtualNode *bool `json:"virtualNode,omitempty"`
}

// ECISpot holds ECI's spot settings.
type ECISpot struct {
	// Strategy is SpotAsPriceGo or SpotWithPriceLimit.
	Strategy string `json:"strategy,omitempty"`
	// PriceLimit is the hourly price limit for SpotWithPriceLimit.
	PriceLimit string `json:"priceLimit,omitempty"`
	// Duration is the protected duration in hours (0 or 1).
	Duration *int32 `json:"duration,omitempty"`
	// Fallback lets ECI fall back to on-demand when spot is out of stock.
	Fallback *bool `json:"fallback,omitempty"`
}

// SetDefaults fills the ECI rules the user left unset.
func (e *ECIPolicy) SetDefaults() {
	if e.ImageCache == "" {
		e.ImageCache = "auto"
	}
	if e.Specs == "" {
		e.Specs = "auto"
	}
	if e.VirtualNode == nil {
		e.VirtualNode = ptrTo(true)
	}
	if e.Spot.Strategy == "" {
		e.Spot.Strategy = "SpotAsPriceGo"
	}
	if e.Spot.Fallback == nil {
		e.Spot.Fallback = ptrTo(true)
	}
}

// Validate checks the ECI rules; p is the section's path.
func (e *ECIPolicy) Validate(p *field.Path) field.ErrorList {
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
