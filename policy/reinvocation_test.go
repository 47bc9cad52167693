package policy_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/test/corpus"
)

// TestReinvocationChangesNothing applies every golden pod's output again,
// as the API server does on reinvocation, under its own policy and the
// shipped examples: the pod must come back as it went in, and no decision
// may claim a change. "Changed" is decided from the result, so a step that
// rewrites a value to what it already was (the Fargate rounding raising a
// build container that resources.max capped) claims nothing.
func TestReinvocationChangesNothing(t *testing.T) {
	policies := map[string]*policy.Policy{}
	for _, f := range []string{"eks-karpenter", "ack-eci", "eks-fargate"} {
		policies[f] = corpus.LoadPolicy(t, "../manifests/examples/policies/"+f+".yaml")
	}
	n := 0
	for _, in := range corpus.Inputs(t, "testdata") {
		tc := corpus.Read(t, in)
		cases := map[string]*policy.Policy{"own": tc.Policy}
		for name, p := range policies {
			cases[name] = p
		}
		for name, p := range cases {
			if p == nil {
				continue
			}
			n++
			t.Run(filepath.Base(in)+"/"+name, func(t *testing.T) {
				first, dec := policy.ApplyInCluster(tc.Pod, p, policy.Cluster{Status: tc.Status, Images: tc.Images})
				require.False(t, dec.Skipped)
				require.NotEmpty(t, dec.Changed(), "a first pass changes the pod")
				again, dec2 := policy.ApplyInCluster(first, p, policy.Cluster{Status: tc.Status, Images: tc.Images})
				assert.True(t, first == again, "an unchanged pod comes back as it went in")
				assert.Empty(t, dec2.Changed(), "no decision claims a change on reinvocation")
			})
		}
	}
	require.Greater(t, n, 40)
}
