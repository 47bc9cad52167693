package v1alpha1

import (
	"bytes"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Quantity is a resource quantity as written in a policy ("500m", 2, "8Gi").
//
// Unlike resource.Quantity it never fails to decode: a bad value is kept and
// reported by Validate with its field path ("resources.max.cpu"), which the
// JSON decoder cannot do.
type Quantity struct {
	raw    string
	q      resource.Quantity
	parsed bool
	err    error
}

// MustQuantity returns the Quantity for s and panics on a bad value. It is
// meant for tests and constants.
func MustQuantity(s string) Quantity {
	q := ParseQuantity(s)
	if q.err != nil {
		panic(q.err)
	}
	return q
}

// ParseQuantity parses s; a bad value is reported by Err.
func ParseQuantity(s string) Quantity {
	q := Quantity{raw: s}
	v, err := resource.ParseQuantity(s)
	if err != nil {
		q.err = err
		return q
	}
	q.q, q.parsed = v, true
	return q
}

// Value returns the parsed quantity (zero when invalid).
func (q Quantity) Value() resource.Quantity { return q.q }

// Err returns the parse error, if any.
func (q Quantity) Err() error { return q.err }

// String returns the quantity as written.
func (q Quantity) String() string { return q.raw }

// UnmarshalJSON accepts a string or a number.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	var s string
	switch {
	case len(b) > 0 && b[0] == '"':
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		s = string(b)
	default:
		*q = Quantity{raw: string(b), err: fmt.Errorf("must be a quantity string such as \"500m\" or \"2Gi\"")}
		return nil
	}
	*q = ParseQuantity(s)
	return nil
}

// MarshalJSON writes the quantity as written.
func (q Quantity) MarshalJSON() ([]byte, error) { return json.Marshal(q.raw) }
