package limits_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/limits"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestPlan(t *testing.T) {
	rng := v1alpha1.LimitRange{
		Floor:   map[corev1.ResourceName]v1alpha1.Quantity{corev1.ResourceCPU: v1alpha1.MustQuantity("64")},
		Ceiling: map[corev1.ResourceName]v1alpha1.Quantity{corev1.ResourceCPU: v1alpha1.MustQuantity("512"), corev1.ResourceMemory: v1alpha1.MustQuantity("2048Gi")},
	}
	list := func(cpu, mem string) corev1.ResourceList {
		l := corev1.ResourceList{}
		if cpu != "" {
			l[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if mem != "" {
			l[corev1.ResourceMemory] = resource.MustParse(mem)
		}
		return l
	}
	cases := []struct {
		name             string
		in               limits.Input
		now              time.Time
		wantCPU, wantMem string
		atCeilingCPU     bool
	}{
		{"below floor is raised to the floor", limits.Input{Current: list("16", "100Gi"), LastBusy: t0}, t0, "64", "100Gi", false},
		{"pending demand raises the limit", limits.Input{Current: list("256", "1000Gi"), Usage: list("250", "900Gi"), PendingMilliCPU: 20_000, PendingMemory: 200 << 30, LastBusy: t0}, t0, "270", "1100Gi", false},
		{"never past the ceiling", limits.Input{Current: list("256", "1000Gi"), Usage: list("500", "1000Gi"), PendingMilliCPU: 40_000, LastBusy: t0}, t0, "512", "1000Gi", true},
		{"a limit above the ceiling is brought down", limits.Input{Current: list("2000", "4000Gi"), LastBusy: t0}, t0, "512", "2048Gi", false},
		{"no shrink before shrinkAfter", limits.Input{Current: list("300", "1000Gi"), Usage: list("10", "10Gi"), LastBusy: t0}, t0.Add(29 * time.Minute), "300", "1000Gi", false},
		{"shrinks to usage, not below the floor", limits.Input{Current: list("300", "1000Gi"), Usage: list("10", "10Gi"), LastBusy: t0}, t0.Add(30 * time.Minute), "64", "10Gi", false},
		{"fractional demand rounds up to whole cores and GiB", limits.Input{Current: list("64", "1Gi"), Usage: list("64", "1Gi"), PendingMilliCPU: 500, PendingMemory: 1 << 20, LastBusy: t0}, t0, "65", "2Gi", false},
		{"an unset limit starts at the demand", limits.Input{Current: list("", ""), PendingMilliCPU: 4000, PendingMemory: 8 << 30, LastBusy: t0}, t0, "64", "8Gi", false},
		{"steady state plans the current values", limits.Input{Current: list("128", "512Gi"), Usage: list("100", "400Gi"), PendingMilliCPU: 20_000, LastBusy: t0}, t0, "128", "512Gi", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := limits.Plan(rng, 30*time.Minute, tc.in, tc.now)
			cpu, mem := got.Limits[corev1.ResourceCPU], got.Limits[corev1.ResourceMemory]
			assert.Equal(t, 0, cpu.Cmp(resource.MustParse(tc.wantCPU)), "cpu %s", cpu.String())
			assert.Equal(t, 0, mem.Cmp(resource.MustParse(tc.wantMem)), "memory %s", mem.String())
			assert.Equal(t, tc.atCeilingCPU, got.AtCeiling[corev1.ResourceCPU])
		})
	}
}
