package stack

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// TestBinpackConfig changes the shipped configuration only where the stack
// must, and keeps kube-scheduler's leader-election validation true.
func TestBinpackConfig(t *testing.T) {
	shipped, err := os.ReadFile("../../manifests/binpack-scheduler/config.yaml")
	require.NoError(t, err)
	for _, tc := range []struct {
		name                string
		speed               float64
		lease, renew, retry time.Duration
	}{
		{"as shipped at speed 1", 1, 15 * time.Second, 10 * time.Second, 2 * time.Second},
		{"below 1 is as shipped", 0.5, 15 * time.Second, 10 * time.Second, 2 * time.Second},
		{"divided by the speed", 2, 7500 * time.Millisecond, 5 * time.Second, time.Second},
		{"capped at renewDeadline 2s", 20, 3 * time.Second, 2 * time.Second, 400 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, b, err := BinpackConfig(shipped, "/tmp/kubeconfig", tc.speed)
			require.NoError(t, err)
			assert.Equal(t, "jobfit-binpack", b.SchedulerName)
			assert.Equal(t, "jobfit-system", b.Namespace)
			assert.Equal(t, "jobfit-binpack", b.Lease)
			var cfg struct {
				ClientConnection struct{ Kubeconfig string } `json:"clientConnection"`
				LeaderElection   struct {
					LeaderElect                               bool
					LeaseDuration, RenewDeadline, RetryPeriod string
				} `json:"leaderElection"`
				Profiles []map[string]any
			}
			require.NoError(t, yaml.Unmarshal(out, &cfg))
			assert.Equal(t, "/tmp/kubeconfig", cfg.ClientConnection.Kubeconfig)
			assert.True(t, cfg.LeaderElection.LeaderElect)
			le := cfg.LeaderElection
			got := []string{le.LeaseDuration, le.RenewDeadline, le.RetryPeriod}
			assert.Equal(t, []string{tc.lease.String(), tc.renew.String(), tc.retry.String()}, got)
			assert.Greater(t, tc.lease, tc.renew)
			assert.Greater(t, float64(tc.renew), 1.2*float64(tc.retry))

			var want map[string]any
			require.NoError(t, yaml.Unmarshal(shipped, &want))
			assert.Equal(t, want["profiles"], toAny(t, cfg.Profiles), "the profile is the shipped one")
		})
	}
}

func TestBinpackConfigRejects(t *testing.T) {
	for name, raw := range map[string]string{
		"not YAML":       "{",
		"no profile":     "leaderElection: {resourceNamespace: a, resourceName: b}\nprofiles: []\n",
		"no lease":       "profiles: [{schedulerName: x}]\n",
		"a bad duration": "leaderElection: {resourceNamespace: a, resourceName: b, leaseDuration: soon, renewDeadline: 1s, retryPeriod: 1s}\nprofiles: [{schedulerName: x}]\n",
		"two profiles":   "profiles: [{schedulerName: x}, {schedulerName: y}]\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := BinpackConfig([]byte(raw), "k", 1)
			assert.Error(t, err)
		})
	}
}

func toAny(t *testing.T, v any) any {
	raw, err := yaml.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, yaml.Unmarshal(raw, &out))
	return out
}
