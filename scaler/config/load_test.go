package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/config"
)

const goodScaler = `apiVersion: jobfit.dev/v1alpha1
kind: ScalerPolicy
metadata: {name: scaler}
nodePools:
- {name: ci-spot, role: spot}
- {name: ci-on-demand, role: on-demand, weight: 10}
fallback: {pendingAfter: 3m, recoverAfter: 15m}
limits:
  nodePools:
    ci-on-demand: {floor: {cpu: "64"}, ceiling: {cpu: "512", memory: 2048Gi}}
consolidation: {enabled: true}
headroom:
  enabled: true
  perArch:
    amd64: {min: 1, max: 8, schedules: [{cron: "0 7 * * 1-5", duration: 11h, min: 4}]}
`

func TestLoadScalerPolicyDefaults(t *testing.T) {
	p, errs := config.Load([]byte(goodScaler))
	require.Empty(t, errs)
	assert.Equal(t, "scaler", p.Metadata.Name)
	assert.Equal(t, 3*time.Minute, p.Fallback.PendingAfter.Value())
	assert.Equal(t, int32(100), p.Fallback.OnDemandWeight)
	assert.Equal(t, 1, p.Fallback.MinPending)
	assert.Equal(t, 30*time.Minute, p.Limits.ShrinkAfter.Value())
	assert.Equal(t, 10*time.Minute, p.Consolidation.Busy.Value())
	assert.Equal(t, time.Minute, p.Consolidation.Idle.Value())
	assert.InDelta(t, 0.9, p.Headroom.PerArch["amd64"].Quantile, 1e-9)
	assert.Equal(t, time.Hour, p.Headroom.PerArch["amd64"].Window.Value())
	assert.Equal(t, v1alpha1.DefaultHeadroomImage, p.Headroom.PodTemplate.Image)
	assert.Equal(t, v1alpha1.CapacitySpot, p.Headroom.PodTemplate.CapacityType)
	assert.True(t, p.FallbackEnabled())
}

func TestLoadScalerPolicyFromConfigMap(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: jobfit-scaler, labels: {jobfit.dev/policy: scaler}}\ndata:\n  policy.yaml: |\n" +
		indent(strings.Replace(goodScaler, "metadata: {name: scaler}\n", "", 1), "    ")
	p, errs := config.Load([]byte(cm))
	require.Empty(t, errs)
	assert.Equal(t, "jobfit-scaler", p.Metadata.Name)
}

func TestScalerPolicyValidation(t *testing.T) {
	cases := []struct {
		name    string
		replace [2]string
		want    []string
	}{
		{"unknown top-level field", [2]string{"fallback:", "falback: {}\nfallback:"}, []string{"falback: Forbidden: unknown field"}},
		{"bad duration", [2]string{"pendingAfter: 3m", "pendingAfter: soon"}, []string{"fallback.pendingAfter: Invalid value"}},
		{"duration as number", [2]string{"recoverAfter: 15m", "recoverAfter: 15"}, []string{"fallback.recoverAfter: Invalid value"}},
		{"negative duration", [2]string{"pendingAfter: 3m", "pendingAfter: -3m"}, []string{"fallback.pendingAfter: Invalid value: \"-3m\": must not be negative"}},
		{"bad role", [2]string{"role: spot", "role: cheap"}, []string{"nodePools[0].role: Unsupported value: \"cheap\""}},
		{"duplicate pool", [2]string{"name: ci-spot", "name: ci-on-demand"}, []string{"nodePools[1].name: Duplicate value"}},
		{"on-demand without weight", [2]string{", weight: 10}", "}"}, []string{"nodePools[1].weight: Required value"}},
		{"weight out of range", [2]string{"weight: 10", "weight: 101"}, []string{"nodePools[1].weight: Invalid value: 101"}},
		{"bad quantity", [2]string{`cpu: "512"`, `cpu: lots`}, []string{"limits.nodePools[ci-on-demand].ceiling[cpu]: Invalid value: \"lots\""}},
		{"ceiling below floor", [2]string{`cpu: "512"`, `cpu: "32"`}, []string{"limits.nodePools[ci-on-demand].ceiling[cpu]: Invalid value: \"32\": must not be below the floor 64"}},
		{"unsupported limit", [2]string{"memory: 2048Gi", "nodes: 10"}, []string{"limits.nodePools[ci-on-demand].ceiling[nodes]: Unsupported value"}},
		{"floor without ceiling", [2]string{`ceiling: {cpu: "512", memory: 2048Gi}`, `ceiling: {memory: 2048Gi}`}, []string{"limits.nodePools[ci-on-demand].ceiling[cpu]: Required value"}},
		{"limits for unlisted pool", [2]string{"ci-on-demand: {floor", "ci-other: {floor"}, []string{"limits.nodePools[ci-other]: Not found"}},
		{"bad cron", [2]string{`cron: "0 7 * * 1-5"`, `cron: "0 7 * *"`}, []string{"headroom.perArch[amd64].schedules[0].cron: Invalid value"}},
		{"empty cron", [2]string{`cron: "0 7 * * 1-5"`, `cron: ""`}, []string{"headroom.perArch[amd64].schedules[0].cron: Required value"}},
		{"schedule min above max", [2]string{"min: 4}", "min: 9}"}, []string{"headroom.perArch[amd64].schedules[0].min: Invalid value: 9"}},
		{"bad lead time", [2]string{"max: 8", "max: 8, leadTime: soon"}, []string{"headroom.perArch[amd64].leadTime: Invalid value: \"soon\""}},
		{"lead time not shorter than window", [2]string{"max: 8", "max: 8, window: 10m, leadTime: 10m"}, []string{"headroom.perArch[amd64].leadTime: Invalid value: \"10m\": must be positive and shorter than window (10m)"}},
		{"negative lead time", [2]string{"max: 8", "max: 8, leadTime: -1m"}, []string{"headroom.perArch[amd64].leadTime: Invalid value: \"-1m\": must not be negative"}},
		{"max below min", [2]string{"max: 8", "max: 0, quantile: 0.5"}, []string{"headroom.perArch[amd64].max: Invalid value: 0"}},
		{"unknown arch", [2]string{"amd64: {min", "x86: {min"}, []string{"headroom.perArch[x86]: Unsupported value"}},
		{"arch no NodePool provides", [2]string{"amd64: {min", "riscv64: {min"}, []string{`headroom.perArch[riscv64]: Unsupported value: "riscv64": supported values: "amd64", "arm64"`}},
		{"fallback without an on-demand pool", [2]string{"- {name: ci-on-demand, role: on-demand, weight: 10}\n", ""},
			[]string{"nodePools: Required value: an entry with role on-demand", "limits.nodePools[ci-on-demand]: Not found"}},
		{"fallback without any pool", [2]string{"nodePools:\n- {name: ci-spot, role: spot}\n- {name: ci-on-demand, role: on-demand, weight: 10}\n", ""},
			[]string{"nodePools: Required value: an entry with role on-demand"}},
		{"bad kind", [2]string{"kind: ScalerPolicy", "kind: Policy"}, []string{"kind: Unsupported value: \"Policy\""}},
		{"wrong type", [2]string{"consolidation: {enabled: true}", "consolidation: {enabled: true, busyThreshold: many}"}, []string{"consolidation.busyThreshold"}},
		{"releaseWhenFalling not a bool", [2]string{"consolidation: {enabled: true}", "consolidation: {enabled: true, releaseWhenFalling: soon}"},
			[]string{"consolidation.releaseWhenFalling"}},
		{"idle longer than busy", [2]string{"consolidation: {enabled: true}", "consolidation: {enabled: true, idle: 1h}"}, []string{"consolidation.idle: Invalid value: \"1h\": must not be longer than busy"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(goodScaler, tc.replace[0], tc.replace[1], 1)
			require.NotEqual(t, goodScaler, doc, "the replacement must apply")
			_, errs := config.Load([]byte(doc))
			require.NotEmpty(t, errs)
			for _, w := range tc.want {
				assert.Contains(t, errs.ToAggregate().Error(), w)
			}
		})
	}
}

func TestDurationDecoding(t *testing.T) {
	d := v1alpha1.ParseDuration("90s")
	require.NoError(t, d.Err())
	assert.Equal(t, 90*time.Second, d.Value())
	assert.Error(t, v1alpha1.ParseDuration("x").Err())
	js, err := d.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `"90s"`, string(js))
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestScalerPolicySpotOnlyWithoutFallback(t *testing.T) {
	doc := "apiVersion: jobfit.dev/v1alpha1\nkind: ScalerPolicy\nnodePools:\n- {name: ci-spot, role: spot}\nfallback: {enabled: false}\n" +
		"headroom: {enabled: true, perArch: {arm64: {min: 1, max: 2}}}\n"
	_, errs := config.Load([]byte(doc))
	assert.Empty(t, errs, "with the fallback off, no on-demand pool is needed")
}
