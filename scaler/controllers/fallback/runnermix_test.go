package fallback_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/controllers/fallback"
)

func TestRunnerMixes(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	jobs := func(runner, arch, ct string, n int) []fallback.MixJob {
		out := make([]fallback.MixJob, n)
		for i := range out {
			out[i] = fallback.MixJob{Runner: runner, Arch: arch, CapacityType: ct, At: at}
		}
		return out
	}
	cases := []struct {
		name string
		jobs []fallback.MixJob
		want []v1alpha1.RunnerMix
	}{
		{"none", nil, nil},
		{"shares rounded to 5", append(jobs("b", "arm64", "spot", 2), jobs("b", "amd64", "on-demand", 1)...),
			[]v1alpha1.RunnerMix{{Runner: "b", Jobs: []v1alpha1.MixCell{{Arch: "amd64", CapacityType: "on-demand", Percent: 35}, {Arch: "arm64", CapacityType: "spot", Percent: 65}}}}},
		{"a share under 2.5% is left out", append(jobs("a", "amd64", "spot", 50), jobs("a", "arm64", "spot", 1)...),
			[]v1alpha1.RunnerMix{{Runner: "a", Jobs: []v1alpha1.MixCell{{Arch: "amd64", CapacityType: "spot", Percent: 100}}}}},
		{"runners apart and sorted", append(jobs("z", "arm64", "", 1), jobs("a", "amd64", "spot", 1)...),
			[]v1alpha1.RunnerMix{{Runner: "a", Jobs: []v1alpha1.MixCell{{Arch: "amd64", CapacityType: "spot", Percent: 100}}},
				{Runner: "z", Jobs: []v1alpha1.MixCell{{Arch: "arm64", Percent: 100}}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, fallback.RunnerMixes(tc.jobs))
		})
	}
}
