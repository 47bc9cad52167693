package webhook

import (
	"reflect"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
)

// withoutEqualParts returns copies of a and b from which every part that is
// equal on both sides has been left out: struct fields, map entries, and
// whole array elements or their fields at the same position in arrays of
// the same length. The patch library emits nothing for equal parts anyway,
// so the patch is the same; it just has far less JSON to encode, decode and
// walk (a job pod's bulk is its env, command and args, which Apply never
// changes).
//
// What is left out is left out of both sides, and only where the patch
// library compares by key (object keys) or by position in arrays of equal
// length, so every path in the patch still addresses the object the API
// server sent. Arrays of different lengths are kept whole. A map keeps at
// least one common entry when it has one, because an empty map is omitted
// from the JSON and the patch would then replace the whole map. a and b are
// not modified: every struct, slice, map or pointer that is trimmed is a
// copy.
func withoutEqualParts(a, b *corev1.Pod) (*corev1.Pod, *corev1.Pod) {
	x, y := reflect.New(podType).Elem(), reflect.New(podType).Elem()
	x.Set(reflect.ValueOf(a).Elem())
	y.Set(reflect.ValueOf(b).Elem())
	trimStruct(x, y)
	return x.Addr().Interface().(*corev1.Pod), y.Addr().Interface().(*corev1.Pod)
}

var podType = reflect.TypeFor[corev1.Pod]()

// trim compares two settable values of the same type. When they are equal
// it zeroes both and reports true; otherwise it replaces them with trimmed
// copies. Each leaf is compared once, and values that share memory (Apply
// shares the containers' env with its input) are equal without a walk.
func trim(x, y reflect.Value) bool {
	switch x.Kind() {
	case reflect.Struct:
		if hasCustomJSON(x.Type()) {
			return zeroIfEqual(x, y)
		}
		return trimStruct(x, y)
	case reflect.Pointer:
		return trimPointer(x, y)
	case reflect.Slice:
		return trimSlice(x, y)
	case reflect.Map:
		return trimMap(x, y)
	case reflect.String:
		return zeroIf(x, y, x.String() == y.String())
	case reflect.Bool:
		return zeroIf(x, y, x.Bool() == y.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return zeroIf(x, y, x.Int() == y.Int())
	default:
		return zeroIfEqual(x, y)
	}
}

// trimPointer trims the structs two pointers point to, in copies.
func trimPointer(x, y reflect.Value) bool {
	switch {
	case x.IsNil() || y.IsNil():
		return x.IsNil() && y.IsNil()
	case x.Pointer() == y.Pointer():
		return zeroIf(x, y, true)
	case x.Type().Elem().Kind() != reflect.Struct || hasCustomJSON(x.Type()):
		return zeroIfEqual(x, y)
	}
	cx, cy := reflect.New(x.Type().Elem()), reflect.New(y.Type().Elem())
	cx.Elem().Set(x.Elem())
	cy.Elem().Set(y.Elem())
	if trimStruct(cx.Elem(), cy.Elem()) {
		return zeroIf(x, y, true)
	}
	x.Set(cx)
	y.Set(cy)
	return false
}

// zeroIf zeroes x and y when equal is true, and returns it.
func zeroIf(x, y reflect.Value, equal bool) bool {
	if equal {
		x.SetZero()
		y.SetZero()
	}
	return equal
}

// trimStruct trims every exported field; it reports whether all were equal.
func trimStruct(x, y reflect.Value) bool {
	equal := true
	for _, i := range exportedFields(x.Type()) {
		if !trim(x.Field(i), y.Field(i)) {
			equal = false
		}
	}
	return equal
}

// exportedFields lists the indices of t's exported fields, cached by type.
func exportedFields(t reflect.Type) []int {
	if v, ok := fieldCache.Load(t); ok {
		return v.([]int)
	}
	var idx []int
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			idx = append(idx, i)
		}
	}
	fieldCache.Store(t, idx)
	return idx
}

var fieldCache sync.Map

// trimSlice trims arrays of the same length element by element: a position
// must stay, but an element can be emptied on both sides or trimmed inside.
func trimSlice(x, y reflect.Value) bool {
	if x.Len() != y.Len() {
		return false
	}
	if x.Len() == 0 || x.Pointer() == y.Pointer() {
		return zeroIf(x, y, true)
	}
	switch x.Type().Elem().Kind() {
	case reflect.Struct, reflect.Pointer, reflect.Map, reflect.Slice:
	default:
		return zeroIfEqual(x, y) // scalars: nothing to trim inside
	}
	cx, cy := reflect.MakeSlice(x.Type(), x.Len(), x.Len()), reflect.MakeSlice(y.Type(), y.Len(), y.Len())
	reflect.Copy(cx, x)
	reflect.Copy(cy, y)
	equal := true
	for i := range cx.Len() {
		if !trim(cx.Index(i), cy.Index(i)) {
			equal = false
		}
	}
	if equal {
		return zeroIf(x, y, true)
	}
	x.Set(cx)
	y.Set(cy)
	return false
}

// trimMap leaves out the entries that are equal on both sides, keeping one
// of them in both when either side would otherwise be empty.
func trimMap(x, y reflect.Value) bool {
	if x.Len() == 0 && y.Len() == 0 || x.Pointer() == y.Pointer() {
		return zeroIf(x, y, true)
	}
	if x.Len() == 0 || y.Len() == 0 {
		return false
	}
	var cx, cy, anchor reflect.Value
	if x.Type() == stringMapType {
		cx, cy, anchor = differingStrings(x.Interface().(map[string]string), y.Interface().(map[string]string))
	} else {
		cx, cy, anchor = differingEntries(x, y)
	}
	if cx.Len() == 0 && cy.Len() == 0 {
		return zeroIf(x, y, true)
	}
	if cx.Len() == 0 || cy.Len() == 0 {
		if !anchor.IsValid() {
			return false
		}
		cx.SetMapIndex(anchor, x.MapIndex(anchor))
		cy.SetMapIndex(anchor, y.MapIndex(anchor))
	}
	x.Set(cx)
	y.Set(cy)
	return false
}

// differingEntries returns new maps with the entries of x and y that are
// not in the other or differ there, and the key of one equal entry, if any.
func differingEntries(x, y reflect.Value) (cx, cy, anchor reflect.Value) {
	cx, cy = reflect.MakeMap(x.Type()), reflect.MakeMap(y.Type())
	for it := x.MapRange(); it.Next(); {
		k, v := it.Key(), it.Value()
		if w := y.MapIndex(k); w.IsValid() && equalValues(v, w) {
			anchor = k
			continue
		}
		cx.SetMapIndex(k, v)
	}
	for it := y.MapRange(); it.Next(); {
		k, w := it.Key(), it.Value()
		if v := x.MapIndex(k); !v.IsValid() || !equalValues(v, w) {
			cy.SetMapIndex(k, w)
		}
	}
	return cx, cy, anchor
}

// differingStrings is differingEntries for map[string]string (labels,
// annotations, node selectors), without reflection in the loops.
func differingStrings(mx, my map[string]string) (cx, cy, anchor reflect.Value) {
	dx, dy := map[string]string{}, map[string]string{}
	for k, v := range mx {
		if w, ok := my[k]; ok && w == v {
			anchor = reflect.ValueOf(k)
			continue
		}
		dx[k] = v
	}
	for k, w := range my {
		if v, ok := mx[k]; !ok || v != w {
			dy[k] = w
		}
	}
	return reflect.ValueOf(dx), reflect.ValueOf(dy), anchor
}

// equalValues compares two leaves semantically (quantities by value, nil
// and empty alike); quantities without reflection's call overhead, and
// without boxing when they are addressable struct fields.
func equalValues(v, w reflect.Value) bool {
	if v.Type() == quantityType {
		if v.CanAddr() && w.CanAddr() {
			return v.Addr().Interface().(*resource.Quantity).Cmp(*w.Addr().Interface().(*resource.Quantity)) == 0
		}
		a, b := v.Interface().(resource.Quantity), w.Interface().(resource.Quantity)
		return a.Cmp(b) == 0
	}
	return equality.Semantic.DeepEqual(v.Interface(), w.Interface())
}

var (
	quantityType  = reflect.TypeFor[resource.Quantity]()
	stringMapType = reflect.TypeFor[map[string]string]()
)

// zeroIfEqual zeroes x and y when equalValues says they are equal.
func zeroIfEqual(x, y reflect.Value) bool {
	return zeroIf(x, y, equalValues(x, y))
}

var (
	jsonMarshaler   = reflect.TypeFor[interface{ MarshalJSON() ([]byte, error) }]()
	jsonUnmarshaler = reflect.TypeFor[interface{ UnmarshalJSON([]byte) error }]()
)

// hasCustomJSON reports whether t encodes itself (resource.Quantity,
// metav1.Time, intstr.IntOrString): its fields are not its JSON keys, so it
// is compared whole and never trimmed inside.
func hasCustomJSON(t reflect.Type) bool {
	if v, ok := customJSON.Load(t); ok {
		return v.(bool)
	}
	pt := t
	if t.Kind() != reflect.Pointer {
		pt = reflect.PointerTo(t)
	}
	custom := pt.Implements(jsonMarshaler) || pt.Implements(jsonUnmarshaler)
	customJSON.Store(t, custom)
	return custom
}

// customJSON caches hasCustomJSON by type.
var customJSON sync.Map
