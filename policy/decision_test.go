package policy_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/test/corpus"
)

// TestRecordedOnlyWhenChanged holds RecordedOnlyWhenChanged to what Apply
// does on every golden pod: a mutation it names is recorded only with a
// change, and a mutation recorded on the first pass but not on a second
// pass over the result is one it names (kubectl jobfit explain would
// otherwise report a difference that is none).
func TestRecordedOnlyWhenChanged(t *testing.T) {
	defaultPolicy := corpus.LoadPolicy(t, "testdata/default-policy.yaml")
	seen := map[string]bool{}
	for _, in := range corpus.Inputs(t, "testdata") {
		tc := corpus.Read(t, in)
		if tc.Policy == nil {
			tc.Policy = defaultPolicy
		}
		cluster := policy.Cluster{Status: tc.Status, Images: tc.Images}
		out, first := policy.ApplyInCluster(tc.Pod, tc.Policy, cluster)
		_, second := policy.ApplyInCluster(out, tc.Policy, cluster)
		again := map[string]bool{}
		for _, d := range second.Items {
			again[d.Mutation] = true
			assert.False(t, policy.RecordedOnlyWhenChanged(d.Mutation), "%s: %s recorded on a pod it already mutated", in, d.Mutation)
		}
		for _, d := range first.Items {
			if policy.RecordedOnlyWhenChanged(d.Mutation) {
				seen[d.Mutation] = true
				assert.True(t, d.Changed, "%s: %s recorded without a change", in, d.Mutation)
			}
			if !again[d.Mutation] {
				assert.True(t, policy.RecordedOnlyWhenChanged(d.Mutation), "%s: %s not decided again on the mutated pod", in, d.Mutation)
			}
		}
	}
	// Annotations are filled as labels are (the same code); no golden
	// policy sets any.
	for _, m := range []string{policy.MutResources, policy.MutCap, policy.MutLabels, policy.MutFargate, policy.MutFargateStrip} {
		assert.True(t, seen[m], "no golden pod records %s", m)
	}
}
