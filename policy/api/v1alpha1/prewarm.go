package v1alpha1

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	// MaxPrewarmImages bounds arch.prewarmImages: the list warms the
	// image-platform cache (2000 images), it does not fill it.
	MaxPrewarmImages = 200
	// maxPrewarmRefLength bounds one reference, as the cache does.
	maxPrewarmRefLength = 512
)

// validatePrewarm checks arch.prewarmImages: at most MaxPrewarmImages
// image references, each one a registry would accept, each once.
func validatePrewarm(refs []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(refs) > MaxPrewarmImages {
		errs = append(errs, field.TooMany(p, len(refs), MaxPrewarmImages))
		return errs
	}
	seen := map[string]bool{}
	for i, ref := range refs {
		switch {
		case len(ref) > maxPrewarmRefLength:
			errs = append(errs, field.TooLong(p.Index(i), "", maxPrewarmRefLength))
		case strings.TrimSpace(ref) != ref || ref == "":
			errs = append(errs, field.Invalid(p.Index(i), ref, "must be an image reference, as job pods name it"))
		default:
			if _, err := name.ParseReference(ref); err != nil {
				errs = append(errs, field.Invalid(p.Index(i), ref, "must be an image reference, as job pods name it: "+err.Error()))
			}
		}
		if seen[ref] {
			errs = append(errs, field.Duplicate(p.Index(i), ref))
		}
		seen[ref] = true
	}
	return errs
}
