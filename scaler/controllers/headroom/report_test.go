package headroom

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/scaler/metrics"
)

// TestHeadroomReport pins the series the dashboard's "Headroom pods wanted
// vs running" panel reads: desired is the wanted count.
func TestHeadroomReport(t *testing.T) {
	bound := &corev1.Pod{Spec: corev1.PodSpec{NodeName: "node-a"}}
	waiting := &corev1.Pod{}
	type series struct{ arch, state string }

	tests := []struct {
		name     string
		existing map[string][]*corev1.Pod
		want     map[string]int
		series   map[series]float64
	}{
		{
			name:     "wanted, running and pending per arch",
			existing: map[string][]*corev1.Pod{"amd64": {bound, bound, waiting}, "arm64": {waiting}},
			want:     map[string]int{"amd64": 3, "arm64": 2},
			series: map[series]float64{
				{"amd64", "desired"}: 3, {"amd64", "running"}: 2, {"amd64", "pending"}: 1,
				{"arm64", "desired"}: 2, {"arm64", "pending"}: 1,
			},
		},
		{
			name:     "headroom off: wanted absent, leftovers still counted",
			existing: map[string][]*corev1.Pod{"amd64": {bound}},
			want:     map[string]int{},
			series:   map[series]float64{{"amd64", "running"}: 1},
		},
		{
			name:     "wanted but none created yet",
			existing: map[string][]*corev1.Pod{},
			want:     map[string]int{"arm64": 4},
			series:   map[series]float64{{"arm64", "desired"}: 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New(prometheus.NewRegistry())
			c := &Controller{metrics: m}
			c.report(map[string][]*corev1.Pod{"s390x": {bound}}, map[string]int{"s390x": 1})
			c.report(tt.existing, tt.want)
			assert.Equal(t, len(tt.series), testutil.CollectAndCount(m.HeadroomPods), "an earlier pass's series are gone")
			for s, v := range tt.series {
				assert.Equal(t, v, testutil.ToFloat64(m.HeadroomPods.WithLabelValues(s.arch, s.state)), "%s %s", s.arch, s.state)
			}
		})
	}
}
