package cluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kwok "sigs.k8s.io/karpenter/kwok/cloudprovider"
	kwokoptions "sigs.k8s.io/karpenter/kwok/options"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/cloudprovider"
	"sigs.k8s.io/karpenter/pkg/scheduling"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/config"
)

const manifests = "../../../manifests"

// kwokTypes loads the catalog through the kwok provider's own reader, as
// Karpenter does with --instance-types-file-path.
func kwokTypes(t *testing.T, withSpot bool) cloudprovider.InstanceTypes {
	t.Helper()
	path := filepath.Join(t.TempDir(), "types.json")
	require.NoError(t, WriteInstanceTypes(path, Catalog(withSpot)))
	ctx := kwokoptions.ToContext(context.Background(), &kwokoptions.Options{InstanceTypesFilePath: path})
	its, err := kwok.ConstructInstanceTypes(ctx)
	require.NoError(t, err)
	return its
}

func shippedPools(t *testing.T) map[string]*karpv1.NodePool {
	t.Helper()
	objs, err := NodePools(manifests, 1)
	require.NoError(t, err)
	out := map[string]*karpv1.NodePool{}
	for _, u := range objs {
		np := &karpv1.NodePool{}
		require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, np))
		out[np.Name] = np
	}
	return out
}

// TestShippedRequirements checks what Karpenter's scheduler checks of each
// instance type against the shipped NodePools' requirements, unchanged:
// the instance type's own requirements, and an available offering
// compatible with them (where the karpenter.k8s.aws/* keys are matched).
func TestShippedRequirements(t *testing.T) {
	pools := shippedPools(t)
	require.Len(t, pools, 2)
	for _, tc := range []struct {
		pool     string
		withSpot bool
		// want is how many instance types each arch may launch.
		want map[string]int
	}{
		{pool: "ci-spot", withSpot: true, want: map[string]int{"amd64": 48, "arm64": 24}},
		{pool: "ci-on-demand", withSpot: true, want: map[string]int{"amd64": 48, "arm64": 24}},
		{pool: "ci-spot", withSpot: false, want: map[string]int{}},
		{pool: "ci-on-demand", withSpot: false, want: map[string]int{"amd64": 48, "arm64": 24}},
	} {
		t.Run(tc.pool+map[bool]string{true: "", false: " without spot offerings"}[tc.withSpot], func(t *testing.T) {
			reqs := scheduling.NewNodeSelectorRequirementsWithMinValues(pools[tc.pool].Spec.Template.Spec.Requirements...)
			got := map[string]int{}
			for _, it := range kwokTypes(t, tc.withSpot) {
				if it.Requirements.Intersects(reqs) == nil && it.Offerings.Available().HasCompatible(reqs) {
					got[it.Requirements.Get("kubernetes.io/arch").Any()]++
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestSpotMinValues checks the spot pool's diversification: minValues 5
// on the instance family is met strictly, with the requirement's key
// mapped to the kwok provider's family label, and not without the mapping
// (Karpenter counts minValues over instance-type requirements, where the
// kwok provider never puts the offerings' karpenter.k8s.aws/* labels).
func TestSpotMinValues(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mapKeys bool
		unmet   map[string]int
	}{
		{name: "mapped to karpenter.kwok.sh/instance-family", mapKeys: true},
		{name: "as shipped, karpenter.k8s.aws/instance-family", unmet: map[string]int{"karpenter.k8s.aws/instance-family": 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			np := shippedPools(t)["ci-spot"]
			reqs := np.Spec.Template.Spec.Requirements
			if !tc.mapKeys {
				for i := range reqs {
					if reqs[i].Key == "karpenter.kwok.sh/instance-family" {
						reqs[i].Key = "karpenter.k8s.aws/instance-family"
					}
				}
			}
			sreqs := scheduling.NewNodeSelectorRequirementsWithMinValues(reqs...)
			var compatible cloudprovider.InstanceTypes
			for _, it := range kwokTypes(t, true) {
				if it.Requirements.Intersects(sreqs) == nil && it.Offerings.Available().HasCompatible(sreqs) {
					compatible = append(compatible, it)
				}
			}
			_, unmet, err := compatible.SatisfiesMinValues(sreqs)
			if tc.unmet == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.unmet, unmet)
		})
	}
}

func TestNodePoolsChangeOnlyNodeClassAndDurations(t *testing.T) {
	objs, err := NodePools(manifests, 10)
	require.NoError(t, err)
	shipped := map[string]*karpv1.NodePool{}
	for _, f := range NodePoolFiles {
		raw, err := os.ReadFile(filepath.Join(manifests, f))
		require.NoError(t, err)
		np := &karpv1.NodePool{}
		require.NoError(t, yaml.Unmarshal(raw, np))
		shipped[np.Name] = np
	}
	for name, np := range shippedPools(t) {
		want := shipped[name].Spec.Template.Spec.Requirements
		for i := range want {
			if want[i].MinValues != nil && want[i].Key == "karpenter.k8s.aws/instance-family" {
				want[i].Key = "karpenter.kwok.sh/instance-family"
			}
		}
		assert.Equal(t, want, np.Spec.Template.Spec.Requirements, "%s: requirements as shipped", name)
		assert.Equal(t, shipped[name].Spec.Template.Spec.Taints, np.Spec.Template.Spec.Taints)
		assert.Equal(t, shipped[name].Spec.Weight, np.Spec.Weight)
		assert.Equal(t, shipped[name].Spec.Limits, np.Spec.Limits)
		assert.Equal(t, shipped[name].Spec.Disruption.Budgets, np.Spec.Disruption.Budgets)
	}
	for _, np := range objs {
		ref, _, _ := unstructured.NestedMap(np.Object, "spec", "template", "spec", "nodeClassRef")
		assert.Equal(t, map[string]any{"group": "karpenter.kwok.sh", "kind": "KWOKNodeClass", "name": NodeClassName}, ref)
	}
	pools := map[string]string{}
	for _, np := range objs {
		v, _, _ := unstructured.NestedString(np.Object, "spec", "disruption", "consolidateAfter")
		pools[np.GetName()] = v
	}
	assert.Equal(t, map[string]string{"ci-spot": "60s", "ci-on-demand": "12s"}, pools)
}

func TestScale(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		speed float64
		want  string
	}{
		{"divides", "10m", 10, "60s"},
		{"rounds to whole seconds", "40s", 3, "13s"},
		{"never below one second", "1s", 8, "1s"},
		{"keeps Never", "Never", 8, "Never"},
		{"speed one keeps the value", "2m", 1, "120s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ScaleString(tc.in, tc.speed)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := ScaleString("ten minutes", 2)
	require.ErrorContains(t, err, `"ten minutes" is not a duration`)
	assert.Equal(t, 5*time.Second, Scale(40*time.Second, 8))
}

func TestScalerPolicyScaled(t *testing.T) {
	cm, dropped, err := ScalerPolicy(filepath.Join(manifests, "examples/policies/scaler.yaml"), 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"headroom.perArch.amd64.schedules (1)"}, dropped)
	doc, _, _ := unstructured.NestedString(cm.Object, "data", "policy.yaml")
	p, errs := config.Load([]byte(doc))
	require.Empty(t, errs)
	assert.Equal(t, 18*time.Second, p.Fallback.PendingAfter.Value())
	assert.Equal(t, 90*time.Second, p.Fallback.RecoverAfter.Value())
	assert.Equal(t, 6*time.Second, p.Consolidation.Idle.Value())
	assert.Equal(t, 6*time.Minute, p.Headroom.PerArch["arm64"].Window.Value())
	assert.Equal(t, 6*time.Second, p.Headroom.PerArch["amd64"].LeadTime.Value(), "the lead time is a boot time, compressed too")
	assert.Equal(t, 8, p.Headroom.PerArch["amd64"].Max, "counts stay as shipped")
}

// TestScalerPolicyScalesUnsetDurations: a duration the policy leaves
// unset is the API's default, compressed like a set one.
func TestScalerPolicyScalesUnsetDurations(t *testing.T) {
	file := filepath.Join(t.TempDir(), "scaler.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`apiVersion: v1
kind: ConfigMap
metadata: {name: scaler, namespace: jobfit-system}
data:
  policy.yaml: |
    apiVersion: jobfit.dev/v1alpha1
    kind: ScalerPolicy
    nodePools: [{name: ci-spot, role: spot}, {name: ci-on-demand, role: on-demand, weight: 10}]
    headroom: {enabled: true, perArch: {arm64: {max: 2}}}
`), 0o600))
	cm, _, err := ScalerPolicy(file, 10)
	require.NoError(t, err)
	doc, _, _ := unstructured.NestedString(cm.Object, "data", "policy.yaml")
	got, errs := config.Load([]byte(doc))
	require.Empty(t, errs)
	want := v1alpha1.ScalerPolicy{Headroom: v1alpha1.HeadroomPolicy{PerArch: map[string]v1alpha1.ArchHeadroom{"arm64": {}}}}
	want.SetDefaults()
	for name, d := range map[string][2]v1alpha1.Duration{
		"fallback.pendingAfter":         {want.Fallback.PendingAfter, got.Fallback.PendingAfter},
		"fallback.recoverAfter":         {want.Fallback.RecoverAfter, got.Fallback.RecoverAfter},
		"limits.shrinkAfter":            {want.Limits.ShrinkAfter, got.Limits.ShrinkAfter},
		"consolidation.busy":            {want.Consolidation.Busy, got.Consolidation.Busy},
		"consolidation.idle":            {want.Consolidation.Idle, got.Consolidation.Idle},
		"consolidation.window":          {want.Consolidation.Window, got.Consolidation.Window},
		"headroom.perArch.arm64.window": {want.Headroom.PerArch["arm64"].Window, got.Headroom.PerArch["arm64"].Window},
	} {
		assert.Equal(t, Scale(d[0].Value(), 10), d[1].Value(), name)
	}
}

func TestPrices(t *testing.T) {
	prices := PriceTable(Catalog(true))
	assert.InDelta(t, 0.34, prices["c6i.2xlarge"]["on-demand"], 1e-9)
	assert.InDelta(t, 0.34*0.42, prices["c6i.2xlarge"]["spot"], 1e-4)
	assert.Len(t, prices, 72)
	assert.NotContains(t, PriceTable(Catalog(false))["m7g.xlarge"], "spot")
}

// TestLargestAllocatableCPU: the shipped NodePools allow up to 32 vCPUs,
// and the kwok provider's own reading of the catalog gives that size the
// same allocatable CPU.
func TestLargestAllocatableCPU(t *testing.T) {
	pools, err := NodePools(manifests, 1)
	require.NoError(t, err)
	got, err := LargestAllocatableCPU(pools, Catalog(true))
	require.NoError(t, err)
	assert.InDelta(t, 31.9, got, 1e-9)
	largest := 0.0
	for _, it := range kwokTypes(t, true) {
		cpu := it.Allocatable()[corev1.ResourceCPU]
		largest = max(largest, cpu.AsApproximateFloat64())
	}
	assert.InDelta(t, largest, got, 1e-9, "as the kwok provider computes it")

	small := pools[0].DeepCopy()
	reqs, _, _ := unstructured.NestedSlice(small.Object, "spec", "template", "spec", "requirements")
	for _, r := range reqs {
		if req := r.(map[string]any); req["key"] == instanceCPULabel {
			req["values"] = []any{"4", "8"}
		}
	}
	require.NoError(t, unstructured.SetNestedSlice(small.Object, reqs, "spec", "template", "spec", "requirements"))
	got, err = LargestAllocatableCPU([]*unstructured.Unstructured{small}, Catalog(true))
	require.NoError(t, err)
	assert.InDelta(t, 7.9, got, 1e-9, "a pool's instance-cpu values bound it")

	require.NoError(t, unstructured.SetNestedSlice(small.Object, []any{map[string]any{"key": instanceCPULabel, "operator": "In", "values": []any{"3"}}},
		"spec", "template", "spec", "requirements"))
	_, err = LargestAllocatableCPU([]*unstructured.Unstructured{small}, Catalog(true))
	assert.ErrorContains(t, err, instanceCPULabel)
}
