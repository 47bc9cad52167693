package v1alpha1

import (
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// tolerationOp returns the toleration's operator with the API's default
// (an empty operator means Equal) filled in, so that the two spellings
// compare equal.
func tolerationOp(t *corev1.Toleration) corev1.TolerationOperator {
	if t.Operator == "" {
		return corev1.TolerationOpEqual
	}
	return t.Operator
}

// Covers reports whether have tolerates every taint that want tolerates:
// then adding want to a pod that has have changes nothing the scheduler
// sees. It compares semantically: an empty operator is Equal, an empty
// effect matches every effect, Exists matches every value.
func Covers(have, want *corev1.Toleration) bool {
	if have.Effect != "" && have.Effect != want.Effect {
		return false
	}
	hop, wop := tolerationOp(have), tolerationOp(want)
	switch {
	case have.Key == "" && hop == corev1.TolerationOpExists:
	case have.Key != want.Key:
		return false
	case hop == corev1.TolerationOpEqual && (wop != corev1.TolerationOpEqual || have.Value != want.Value):
		return false
	}
	// A toleration with seconds lets the pod stay only that long on a
	// NoExecute taint; it Covers only a toleration that stays no longer.
	if have.TolerationSeconds != nil {
		return want.TolerationSeconds != nil && *want.TolerationSeconds <= *have.TolerationSeconds
	}
	return true
}

// FormatToleration writes a toleration the way kubectl writes a taint:
// key=value:Effect, with * for "any value" (Exists) and "any effect".
func FormatToleration(t corev1.Toleration) string {
	s := t.Key
	if s == "" {
		s = "*"
	}
	if tolerationOp(&t) == corev1.TolerationOpExists {
		s += "=*"
	} else {
		s += "=" + t.Value
	}
	if t.Effect == "" {
		s += ":*"
	} else {
		s += ":" + string(t.Effect)
	}
	if t.TolerationSeconds != nil {
		s += " for " + strconv.FormatInt(*t.TolerationSeconds, 10) + "s"
	}
	return s
}

var tolerationEffects = []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute}

// validateTolerations checks tolerations as the API server does
// (ValidateTolerations in k8s.io/kubernetes), and also refuses a toleration
// without a key: added to every job pod, it would tolerate every taint,
// the control plane's included.
func validateTolerations(ts []corev1.Toleration, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i := range ts {
		errs = append(errs, validateToleration(&ts[i], p.Index(i))...)
		for j := range i {
			if Covers(&ts[j], &ts[i]) && Covers(&ts[i], &ts[j]) {
				errs = append(errs, field.Duplicate(p.Index(i), FormatToleration(ts[i])))
				break
			}
		}
	}
	return errs
}

func validateToleration(t *corev1.Toleration, tp *field.Path) field.ErrorList {
	var errs field.ErrorList
	if t.Key == "" {
		errs = append(errs, field.Required(tp.Child("key"), "a toleration without a key tolerates every taint; name the taint's key"))
	} else {
		for _, msg := range validation.IsQualifiedName(t.Key) {
			errs = append(errs, field.Invalid(tp.Child("key"), t.Key, msg))
		}
	}
	switch tolerationOp(t) {
	case corev1.TolerationOpEqual:
		for _, msg := range validation.IsValidLabelValue(t.Value) {
			errs = append(errs, field.Invalid(tp.Child("value"), t.Value, msg))
		}
	case corev1.TolerationOpExists:
		if t.Value != "" {
			errs = append(errs, field.Invalid(tp.Child("value"), t.Value, "must be empty when operator is Exists"))
		}
	default:
		errs = append(errs, field.NotSupported(tp.Child("operator"), t.Operator,
			[]corev1.TolerationOperator{corev1.TolerationOpEqual, corev1.TolerationOpExists}))
	}
	if t.Effect != "" && !slices.Contains(tolerationEffects, t.Effect) {
		errs = append(errs, field.NotSupported(tp.Child("effect"), t.Effect, tolerationEffects))
	}
	if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
		errs = append(errs, field.Invalid(tp.Child("tolerationSeconds"), *t.TolerationSeconds, "only used with effect NoExecute"))
	}
	return errs
}
