package replay_test

import (
	"bufio"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"jobfit.dev/jobfit/hack/sim/replay"
)

func TestSynced(t *testing.T) {
	cases := []struct {
		name, metrics string
		want          bool
	}{
		{"synced", "# HELP karpenter_cluster_state_synced Returns 1 if cluster state is synced and 0 otherwise.\n# TYPE karpenter_cluster_state_synced gauge\nkarpenter_cluster_state_synced 1\n", true},
		{"not yet", "karpenter_cluster_state_node_count 3\nkarpenter_cluster_state_synced 0\n", false},
		{"not exported yet", "go_goroutines 42\n", false},
		{"a longer name is another metric", "karpenter_cluster_state_synced_total 1\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, replay.Synced(bufio.NewScanner(strings.NewReader(tc.metrics))))
		})
	}
}
