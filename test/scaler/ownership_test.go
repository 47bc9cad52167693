package scaler_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/sets"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

func TestFieldOwnershipOnlyBehaviouralFields(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	doc := limitsPolicy + "fallback: {pendingAfter: 1m}\nconsolidation: {enabled: true, busyThreshold: 3, busy: 15m, idle: 1m}\n"
	h := newHarness(ctx, t, doc)
	before := nodePool(ctx, t, "ci-on-demand")
	for range 12 {
		unschedulable(ctx, t, h.jobPod(ctx, t, "arm64", v1alpha1.CapacitySpot, "8"), h.clock.Now())
	}
	h.clock.Step(2 * 60 * 1e9)
	h.pass(ctx, t)
	after := nodePool(ctx, t, "ci-on-demand")

	require.Equal(t, int32(100), *after.Spec.Weight)
	require.NotNil(t, after.Spec.Disruption.ConsolidateAfter.Duration)
	assert.Equal(t, "15m0s", after.Spec.Disruption.ConsolidateAfter.String(), "busy: jobs keep arriving")
	assert.True(t, equality.Semantic.DeepEqual(before.Spec.Template, after.Spec.Template), "the template (requirements, taints, labels, nodeClassRef) is untouched")
	assert.Equal(t, before.Labels, after.Labels, "other users' labels are untouched")
	assert.Equal(t, "ci", after.Labels["finops.example.com/cost-center"])
	assert.Equal(t, before.Spec.Disruption.Budgets, after.Spec.Disruption.Budgets)
	assert.Equal(t, before.Spec.Disruption.ConsolidationPolicy, after.Spec.Disruption.ConsolidationPolicy)
	assert.Equal(t, before.Spec.Limits["nodes"], after.Spec.Limits["nodes"])

	owned := map[string]sets.Set[string]{}
	for _, mf := range after.ManagedFields {
		var fields map[string]any
		require.NoError(t, json.Unmarshal(mf.FieldsV1.Raw, &fields))
		owned[mf.Manager] = sets.New(leaves("", fields)...)
	}
	assert.Equal(t, sets.New(".spec.weight", ".spec.limits.cpu", ".spec.disruption.consolidateAfter"), owned[v1alpha1.ScalerFieldManager],
		"jobfit-scaler owns exactly the behavioural fields it set")
	require.Contains(t, owned, "platform-team")
	assert.True(t, owned["platform-team"].Has(".spec.template.spec.requirements"), "the platform team still owns the template")
	assert.True(t, owned["platform-team"].Has(".spec.limits.nodes"))
	assert.False(t, owned["platform-team"].Has(".spec.weight"), "ownership of the weight moved to jobfit-scaler")
	assert.True(t, owned["finops-bot"].Has(`.metadata.labels.finops.example.com/cost-center`))
}

// leaves flattens a FieldsV1 tree into ".a.b" paths of its leaves; list
// items (k:/v:) end the path at the list.
func leaves(prefix string, m map[string]any) []string {
	var out []string
	for k, v := range m {
		if k == "." {
			continue
		}
		name := k[2:] // strip "f:"
		if k[:2] != "f:" {
			out = append(out, prefix)
			continue
		}
		child, _ := v.(map[string]any)
		if len(child) == 0 || (len(child) == 1 && child["."] != nil) {
			out = append(out, prefix+"."+name)
			continue
		}
		out = append(out, leaves(prefix+"."+name, child)...)
	}
	return out
}
