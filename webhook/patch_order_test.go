package webhook

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/require"
	gomodules "gomodules.xyz/jsonpatch/v2"
)

// TestSortPatch: whatever order the patch library emits, the sorted patch
// is the same, and applying it gives the target document (array removals
// stay highest index first).
func TestSortPatch(t *testing.T) {
	tests := []struct{ name, before, after string }{
		{"object keys", `{"a":1,"b":{"x":1,"y":2},"c":"k"}`, `{"a":2,"b":{"x":3,"z":4},"d":"n"}`},
		{"array shrinks", `{"l":[{"n":1},{"n":2},{"n":3},{"n":4}],"m":{"k":"v"}}`, `{"l":[{"n":5},{"n":2}],"m":{"k":"w","j":"x"}}`},
		{"array grows", `{"l":[1,2],"m":{"10":"a","9":"b","x":"c"}}`, `{"l":[1,3,4,5,6,7,8,9,10,11,12],"m":{"10":"b","9":"a"}}`},
		{"numeric object keys removed", `{"m":{"1":"a","2":"b","3":"c","x":"d"}}`, `{"m":{"x":"e"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := gomodules.CreatePatch([]byte(tt.before), []byte(tt.after))
			require.NoError(t, err)
			sortPatch(ops)
			rng := rand.New(rand.NewPCG(1, 2))
			for range 20 {
				shuffled := slices.Clone(ops)
				rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
				sortPatch(shuffled)
				require.Equal(t, ops, shuffled, "the order does not depend on the library's")
			}
			js, err := json.Marshal(ops)
			require.NoError(t, err)
			p, err := jsonpatch.DecodePatch(js)
			require.NoError(t, err)
			got, err := p.Apply([]byte(tt.before))
			require.NoError(t, err)
			require.JSONEq(t, tt.after, string(got))
		})
	}
}
