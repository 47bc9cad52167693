package webhook

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Admission results, the values of jobfit_admission_requests_total{result}.
const (
	ResultMutated   = "mutated"
	ResultUnchanged = "unchanged"
	ResultSkipped   = "skipped"
	ResultError     = "error"
	// ResultBadRequest is a request that is not an AdmissionReview the API
	// server could have sent; it gets an HTTP error, and the API server,
	// under failurePolicy Ignore, admits the pod unmutated.
	ResultBadRequest = "bad-request"
	// ResultOverloaded is a request refused because too many were in flight;
	// the pod is admitted unmutated the same way.
	ResultOverloaded = "overloaded"
)

// Policy load results, the values of jobfit_policy_loads_total{result}.
const (
	LoadOK      = "ok"
	LoadInvalid = "invalid"
)

// Kinds of watched documents, the values of the kind label.
const (
	KindCluster        = v1alpha1.PolicyKindCluster
	KindNamespace      = v1alpha1.PolicyKindNamespace
	KindCapacityStatus = "capacity-status"
	KindImagePlatforms = "image-platforms"
)

// Image-platform cache lookup results, the values of
// jobfit_image_platform_lookups_total{result}.
const (
	LookupHit  = "hit"
	LookupMiss = "miss"
)

var (
	admissionRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobfit_admission_requests_total",
		Help: "Admission requests handled by jobfit's webhook, by result: mutated, unchanged, skipped, error (allowed unmutated because of an internal error), bad-request or overloaded (refused with an HTTP error, so the API server admits the pod unmutated).",
	}, []string{"result"})

	// admissionDuration starts at 50µs: a typical admission takes well under
	// a millisecond, and controller-runtime's own histogram starts at 5ms.
	admissionDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "jobfit_admission_duration_seconds",
		Help:    "Time jobfit's handler spends on one admission request, from decoding to the patch.",
		Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16),
	})

	mutations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobfit_mutations_total",
		Help: "Mutations that changed an admitted pod, by mutation (arch, helper-image, capacity, ...).",
	}, []string{"mutation"})

	runnerPinConflicts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobfit_runner_pin_conflicts_total",
		Help: "Job pods whose runner config pinned a node label (arch or capacity-type) that differs from what the job or the spot fallback wanted, by trait.",
	}, []string{"trait"})

	missingReferences = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobfit_missing_references_total",
		Help: "Job pods admitted without a reference their policy asked for because its object does not exist (or, for a claim, is being deleted or Lost), by kind (PriorityClass, PersistentVolumeClaim).",
	}, []string{"kind"})

	imageLookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobfit_image_platform_lookups_total",
		Help: "Job images looked up in the image-platform cache under arch.fromImages, by result: hit (platforms known) or miss (not known yet: the job got arch.default).",
	}, []string{"result"})

	imageArchConflicts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobfit_image_arch_conflicts_total",
		Help: "Job pods that asked for (or whose runner pinned) an arch some of their images do not offer, by arch; the ask is kept, with a warning.",
	}, []string{"arch"})

	interruptedRetries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobfit_interrupted_job_retries_total",
		Help: "Job pods admitted as the retry of a job the scaler recorded as interrupted, by the arch and capacity type they were placed on (on-demand, unless the runner pinned spot).",
	}, []string{"arch", "capacity_type"})

	policyLoads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jobfit_policy_loads_total",
		Help: "Policy and capacity-status ConfigMap loads, by kind (cluster, namespace, capacity-status) and result (ok, invalid).",
	}, []string{"kind", "result"})

	policyInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "jobfit_policy_info",
		Help: "The policies in force: 1 for each kind, name and hash.",
	}, []string{"kind", "name", "hash"})

	// certificateExpiry is a timestamp rather than a remaining duration so
	// that it changes only when the certificate does; PromQL subtracts time().
	certificateExpiry = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "jobfit_webhook_certificate_expiry_timestamp_seconds",
		Help: "NotAfter of the serving certificate this replica serves, as a Unix timestamp; set on every reload of tls.crt.",
	})

	buildInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "jobfit_build_info",
		Help: "jobfit's version and Go version; always 1.",
	}, []string{"version", "goversion"})
)

// RegisterMetrics registers the webhook's metrics on controller-runtime's
// registry, which the manager serves on its metrics endpoint, and sets
// jobfit_build_info for version. Registering twice is not an error, so that
// tests may start several servers in one process.
func RegisterMetrics(version string) error {
	for _, c := range Collectors() {
		if err := metrics.Registry.Register(c); err != nil {
			if are := (prometheus.AlreadyRegisteredError{}); !errors.As(err, &are) {
				return fmt.Errorf("registering webhook metrics: %w", err)
			}
		}
	}
	buildInfo.Reset()
	buildInfo.WithLabelValues(version, runtime.Version()).Set(1)
	return nil
}

// Collectors returns the webhook's metrics, for RegisterMetrics and for
// tests that check names against them (the Grafana dashboard's).
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{admissionRequests, admissionDuration, mutations, runnerPinConflicts, interruptedRetries, missingReferences, imageLookups, imageArchConflicts, policyLoads, policyInfo, certificateExpiry, buildInfo}
}

// countImages records what arch.fromImages looked up and the conflicts it
// found, on the pass that mutates the pod.
func countImages(dec *policy.Decisions) {
	if n := dec.ImageLookups.Hits; n > 0 {
		imageLookups.WithLabelValues(LookupHit).Add(float64(n))
	}
	if n := dec.ImageLookups.Misses; n > 0 {
		imageLookups.WithLabelValues(LookupMiss).Add(float64(n))
	}
	for _, c := range dec.ImageArchConflicts {
		imageArchConflicts.WithLabelValues(c.Arch).Inc()
	}
}

// setPolicyInfo makes name and hash the only jobfit_policy_info series of a
// cluster or capacity-status kind.
func setPolicyInfo(kind, name, hash string) {
	policyInfo.DeletePartialMatch(prometheus.Labels{"kind": kind})
	policyInfo.WithLabelValues(kind, name, hash).Set(1)
}
