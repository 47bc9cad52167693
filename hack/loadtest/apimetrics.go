package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// histogramSums is the sum and count of matching histogram series.
type histogramSums struct {
	sum   float64
	count uint64
}

// seriesFilter selects the series of one histogram by name and labels.
type seriesFilter struct {
	what   string // what the line says it is
	name   string
	labels map[string]string
}

// apiserverBreakdown are the kube-apiserver histograms that split a pod
// create: the whole request, the mutating admission step, and the call to
// jobfit's webhook as the API server sees it.
var apiserverBreakdown = []seriesFilter{
	{"pod create (API server, both namespaces)", "apiserver_request_duration_seconds", map[string]string{"verb": "POST", "resource": "pods"}},
	{"mutating admission step (both namespaces)", "apiserver_admission_step_admission_duration_seconds", map[string]string{"operation": "CREATE", "type": "admit"}},
	{"call to jobfit's webhook (API server's view)", "apiserver_admission_webhook_admission_duration_seconds", map[string]string{"name": "pods.jobfit.dev", "operation": "CREATE", "type": "admit"}},
}

// scrape reads the kube-apiserver's /metrics and sums each filter's series.
func scrape(ctx context.Context, cfg *rest.Config, filters []seriesFilter) ([]histogramSums, error) {
	c := rest.CopyConfig(cfg)
	c.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	rc, err := rest.UnversionedRESTClientFor(c)
	if err != nil {
		return nil, err
	}
	raw, err := rc.Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the API server's metrics: %w", err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing the API server's metrics: %w", err)
	}
	if dump := os.Getenv("LOADTEST_DUMP_METRICS"); dump != "" {
		_ = os.WriteFile(dump, raw, 0o644)
	}
	out := make([]histogramSums, len(filters))
	for i, f := range filters {
		fam, ok := families[f.name]
		if !ok {
			continue
		}
		for _, m := range fam.GetMetric() {
			if matches(m, f.labels) && m.GetHistogram() != nil {
				out[i].sum += m.GetHistogram().GetSampleSum()
				out[i].count += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return out, nil
}

func matches(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(want)
}

// printBreakdown prints the mean of each histogram between two scrapes.
func printBreakdown(filters []seriesFilter, before, after []histogramSums) {
	for i, f := range filters {
		n := after[i].count - before[i].count
		if n == 0 {
			fmt.Printf("apiserver:   %-46s no samples\n", f.what)
			continue
		}
		mean := time.Duration((after[i].sum - before[i].sum) / float64(n) * float64(time.Second))
		fmt.Printf("apiserver:   %-46s mean %s over %d\n", f.what, round(mean), n)
	}
}

// profileAPIServer fetches a CPU profile of the kube-apiserver over d and
// writes it to path; run it alongside the measured creates.
func profileAPIServer(ctx context.Context, cfg *rest.Config, d time.Duration, path string) error {
	c := rest.CopyConfig(cfg)
	c.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	c.Timeout = d + 30*time.Second
	rc, err := rest.UnversionedRESTClientFor(c)
	if err != nil {
		return err
	}
	raw, err := rc.Get().AbsPath("/debug/pprof/profile").Param("seconds", strconv.Itoa(int(d.Seconds()))).DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("profiling the API server: %w", err)
	}
	return os.WriteFile(path, raw, 0o644)
}
