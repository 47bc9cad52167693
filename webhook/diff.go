package webhook

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// withoutEqualFields returns shallow copies of a and b in which every field
// of the metadata, the spec and the status that is equal on both sides is
// left empty. The patch library emits nothing for equal fields anyway, and
// these are object keys, not array positions, so the patch is the same; the
// library just has far less JSON to encode, decode and walk.
func withoutEqualFields(a, b *corev1.Pod) (*corev1.Pod, *corev1.Pod) {
	x, y := *a, *b
	clearEqual(reflect.ValueOf(&x.ObjectMeta).Elem(), reflect.ValueOf(&y.ObjectMeta).Elem())
	clearEqual(reflect.ValueOf(&x.Spec).Elem(), reflect.ValueOf(&y.Spec).Elem())
	clearEqual(reflect.ValueOf(&x.Status).Elem(), reflect.ValueOf(&y.Status).Elem())
	return &x, &y
}

// clearEqual zeroes, in both structs, each field that is semantically equal.
func clearEqual(x, y reflect.Value) {
	for i := 0; i < x.NumField(); i++ {
		fx, fy := x.Field(i), y.Field(i)
		if fx.IsZero() && fy.IsZero() {
			continue
		}
		if equality.Semantic.DeepEqual(fx.Interface(), fy.Interface()) {
			fx.SetZero()
			fy.SetZero()
		}
	}
}
