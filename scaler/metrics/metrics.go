// Package metrics owns the scaler's metrics (docs/metrics.md): one Metrics
// that every controller of the scaler writes to, registered once.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the scaler's metrics (docs/metrics.md).
type Metrics struct {
	// ExecutorPods counts job pods by arch, capacity type and phase.
	ExecutorPods *prometheus.GaugeVec
	// PendingSeconds observes how long pending job pods have waited, once
	// per pod when it leaves pending.
	PendingSeconds prometheus.Histogram
	// PendingOldestSeconds is the age of the oldest pending job pod by arch
	// and capacity type, 0 when none is pending; the histogram above only
	// sees a pod once it stops pending, too late for one that never does.
	PendingOldestSeconds *prometheus.GaugeVec
	// CapacityDegraded is 1 for each degraded arch × capacity type.
	CapacityDegraded *prometheus.GaugeVec
	// NodePoolChanges counts planned NodePool field changes (also in dry run).
	NodePoolChanges *prometheus.CounterVec
	// HeadroomPods counts placeholders by arch and state (pending, running, desired).
	HeadroomPods *prometheus.GaugeVec
	// NodePoolAtCeiling is 1 when pending demand has reached a limit's ceiling.
	NodePoolAtCeiling *prometheus.GaugeVec
	// NodeClassReady is 1 while the EC2NodeClass behind a managed pool is
	// Ready, 0 while it is not; absent for other kinds of node class.
	NodeClassReady *prometheus.GaugeVec
	// JobPodsBlockedByVolume counts the job pods waiting because of a
	// PersistentVolumeClaim, by reason (missing, unbound, in-use).
	JobPodsBlockedByVolume *prometheus.GaugeVec
	// ImageResolves counts image-platform resolutions by registry and
	// result (ok, error).
	ImageResolves *prometheus.CounterVec
	// ImageResolveSeconds observes how long one resolution took, by registry.
	ImageResolveSeconds *prometheus.HistogramVec
	// ImageCacheEntries counts the image-platform cache's entries by state
	// (known, unknown).
	ImageCacheEntries *prometheus.GaugeVec
	// JobInterruptions counts job pods that were running on a node that went
	// away under them, by the node's arch and capacity type.
	JobInterruptions *prometheus.CounterVec
}

// New creates the scaler's metrics and registers them with reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ExecutorPods: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jobfit_executor_pods", Help: "GitLab job pods by arch, capacity type and phase (pending, running).",
		}, []string{"arch", "capacity_type", "phase"}),
		PendingSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "jobfit_pod_pending_seconds", Help: "How long GitLab job pods waited for a node.",
			Buckets: []float64{1, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200},
		}),
		PendingOldestSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jobfit_pod_pending_oldest_seconds", Help: "How long the oldest pending GitLab job pod has waited for a node, by arch and capacity type; 0 while none is pending.",
		}, []string{"arch", "capacity_type"}),
		CapacityDegraded: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jobfit_capacity_degraded", Help: "1 while the scaler considers this arch and capacity type degraded.",
		}, []string{"arch", "capacity_type"}),
		NodePoolChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobfit_nodepool_changes_total", Help: "NodePool field changes the scaler made (or, in dry run, would have made).",
		}, []string{"nodepool", "field"}),
		HeadroomPods: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jobfit_headroom_pods", Help: "Headroom placeholder pods by arch and state (desired, pending, running).",
		}, []string{"arch", "state"}),
		NodePoolAtCeiling: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jobfit_nodepool_at_ceiling", Help: "1 while pending demand on a NodePool has reached the ceiling of a limit.",
		}, []string{"nodepool", "resource"}),
		NodeClassReady: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jobfit_nodeclass_ready", Help: "1 while the EC2NodeClass behind a managed NodePool is Ready, 0 while it is not.",
		}, []string{"nodeclass"}),
		ImageResolves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobfit_image_resolves_total", Help: "Image-platform resolutions by registry (\"other\" beyond 50 registries) and result (ok, error).",
		}, []string{"registry", "result"}),
		ImageResolveSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "jobfit_image_resolve_duration_seconds", Help: "Time one image-platform resolution took, by registry.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20},
		}, []string{"registry"}),
		ImageCacheEntries: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jobfit_image_cache_entries", Help: "Images in the image-platform cache by state: known (platforms resolved) or unknown (not yet, or failing).",
		}, []string{"state"}),
		JobPodsBlockedByVolume: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jobfit_job_pods_blocked_by_volume", Help: "GitLab job pods waiting because of a PersistentVolumeClaim, by reason: missing, unbound, in-use (ReadWriteOnce on another node).",
		}, []string{"reason"}),
		JobInterruptions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jobfit_job_interruptions_total", Help: "GitLab job pods that were running on a node whose NodeClaim was deleted under them (a spot interruption, a node repair), by the node's arch and capacity type.",
		}, []string{"arch", "capacity_type"}),
	}
	reg.MustRegister(m.ExecutorPods, m.PendingSeconds, m.PendingOldestSeconds, m.CapacityDegraded, m.NodePoolChanges, m.HeadroomPods, m.NodePoolAtCeiling, m.NodeClassReady,
		m.ImageResolves, m.ImageResolveSeconds, m.ImageCacheEntries, m.JobPodsBlockedByVolume, m.JobInterruptions)
	return m
}
