package dashboard

import (
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"jobfit.dev/jobfit/scaler/metrics"
	"jobfit.dev/jobfit/webhook"
)

// externalMetrics are the metrics the dashboard may name that other
// programs export. Each entry says who; a name here is not checked against
// code, so keep the list short and the sources exact.
var externalMetrics = map[string]string{
	// kube-apiserver's view of its calls to the webhook (the alerts use them too).
	"apiserver_admission_webhook_fail_open_count":            "counter",
	"apiserver_admission_webhook_admission_duration_seconds": "histogram",
	"apiserver_admission_webhook_rejection_count":            "counter",
	"apiserver_admission_webhook_request_total":              "counter",
	// Karpenter's controller, sigs.k8s.io/karpenter pkg/controllers/metrics/nodepool
	// (labels nodepool, resource_type).
	"karpenter_nodepools_limit": "gauge",
	"karpenter_nodepools_usage": "gauge",
	// Prometheus itself, for every scrape target.
	"up": "gauge",
}

// metricTypes maps each metric name a dashboard may use to its type:
// counter, gauge or histogram.
type metricTypes map[string]string

// recorder is a prometheus.Registerer that keeps what is registered on it,
// so that metrics.New (scaler/metrics) reveals its collectors.
type recorder struct{ collectors []prometheus.Collector }

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	r.collectors = append(r.collectors, cs...)
}

func (r *recorder) Unregister(prometheus.Collector) bool { return false }

// codeMetrics lists the metrics jobfit's processes serve: the webhook's and
// the scaler's own collectors, the controller-runtime metrics that have a
// series before any traffic (certwatcher's counters, registered by the
// webhook server's certificate reloading), and the external
// allow-list.
func codeMetrics(t *testing.T) metricTypes {
	t.Helper()
	rec := &recorder{}
	metrics.New(rec)
	m := metricTypes{}
	for _, c := range append(webhook.Collectors(), rec.collectors...) {
		for _, name := range descNames(c) {
			m[name] = collectorType(c)
		}
	}
	families, err := crmetrics.Registry.Gather()
	require.NoError(t, err, "gathering controller-runtime's registry")
	for _, f := range families {
		m[f.GetName()] = map[string]string{"COUNTER": "counter", "GAUGE": "gauge", "HISTOGRAM": "histogram", "SUMMARY": "summary"}[f.GetType().String()]
	}
	for name, typ := range externalMetrics {
		m[name] = typ
	}
	return m
}

// fqName reads a Desc's name from its String form: client_golang has no
// accessor for it.
var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

func descNames(c prometheus.Collector) []string {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	var names []string
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

// collectorType tells the type of one of jobfit's collectors. Gauge is
// tested before Counter: a Gauge also has Inc and Add.
func collectorType(c prometheus.Collector) string {
	switch c.(type) {
	case prometheus.Histogram, *prometheus.HistogramVec:
		return "histogram"
	case prometheus.Gauge, *prometheus.GaugeVec:
		return "gauge"
	case prometheus.Counter, *prometheus.CounterVec:
		return "counter"
	}
	return "unknown"
}

// has reports whether name is a series the metrics produce: a metric's
// own name, or a histogram's _bucket, _sum and _count.
func (m metricTypes) has(name string) bool {
	if typ, ok := m[name]; ok {
		return typ != "histogram"
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && (m[base] == "histogram" || (m[base] == "summary" && suffix != "_bucket")) {
			return true
		}
	}
	return false
}

func TestCodeMetricsKnowsEveryJobfitMetric(t *testing.T) {
	m := codeMetrics(t)
	for _, name := range []string{
		"jobfit_admission_requests_total", "jobfit_admission_duration_seconds", "jobfit_mutations_total",
		"jobfit_policy_loads_total", "jobfit_policy_info", "jobfit_build_info",
		"jobfit_executor_pods", "jobfit_pod_pending_seconds", "jobfit_capacity_degraded",
		"jobfit_nodepool_changes_total", "jobfit_headroom_pods", "jobfit_nodepool_at_ceiling",
		"jobfit_runner_pin_conflicts_total", "jobfit_nodeclass_ready",
		"jobfit_webhook_certificate_expiry_timestamp_seconds", "jobfit_pod_pending_oldest_seconds",
		"certwatcher_read_certificate_total",
	} {
		require.Contains(t, m, name)
	}
	require.Equal(t, "histogram", m["jobfit_admission_duration_seconds"])
	require.Equal(t, "gauge", m["jobfit_executor_pods"])
	require.Equal(t, "counter", m["jobfit_mutations_total"])
	require.True(t, m.has("jobfit_pod_pending_seconds_bucket"))
	require.False(t, m.has("jobfit_pod_pending_seconds"), "a histogram has no series of its bare name")
	require.False(t, m.has("jobfit_mutations_total_bucket"), "a counter has no buckets")
}
