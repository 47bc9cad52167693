package v1alpha1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// KindScalerPolicy is the kind of the scaler's policy document.
const KindScalerPolicy = "ScalerPolicy"

// NodePoolRole says which capacity a NodePool provides to the scaler.
type NodePoolRole string

// The roles a NodePool can play.
const (
	RoleSpot     NodePoolRole = "spot"
	RoleOnDemand NodePoolRole = "on-demand"
)

// ScalerPolicy tunes Karpenter NodePools and keeps warm headroom
// (apiVersion jobfit.dev/v1alpha1, kind ScalerPolicy). See docs/scaler.md.
type ScalerPolicy struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Metadata   Meta   `json:"metadata,omitempty"`

	// DryRun computes and reports (Events, metrics) without writing.
	DryRun bool `json:"dryRun,omitempty"`
	// NodePools are the Karpenter NodePools the scaler may tune.
	NodePools []ScalerNodePool `json:"nodePools,omitempty"`
	// Fallback moves spot-starved arches to on-demand and back.
	Fallback FallbackPolicy `json:"fallback,omitempty"`
	// Limits keeps NodePool spec.limits between a floor and a ceiling.
	Limits LimitsPolicy `json:"limits,omitempty"`
	// Consolidation tunes spec.disruption.consolidateAfter to the arrival rate.
	Consolidation ConsolidationPolicy `json:"consolidation,omitempty"`
	// Headroom keeps placeholder pods that reserve warm capacity.
	Headroom HeadroomPolicy `json:"headroom,omitempty"`
}

// ScalerNodePool names one NodePool and its role.
type ScalerNodePool struct {
	// Name is the NodePool's metadata.name.
	Name string `json:"name"`
	// Role is spot or on-demand.
	Role NodePoolRole `json:"role"`
	// Weight is the pool's normal spec.weight, restored when fallback ends.
	// Required for on-demand pools while fallback is enabled.
	Weight *int32 `json:"weight,omitempty"`
}

// FallbackPolicy is the spot→on-demand fallback and its hysteresis.
type FallbackPolicy struct {
	// Enabled turns the fallback on (default true).
	Enabled *bool `json:"enabled,omitempty"`
	// PendingAfter is how long spot-pinned pods of an arch must wait before
	// that arch's spot is marked degraded (default 3m). A spot NodeClaim
	// failure counts at once, for PendingAfter after it happened.
	PendingAfter Duration `json:"pendingAfter,omitempty"`
	// RecoverAfter is how long an arch must see no spot pressure before it
	// recovers (default 15m).
	RecoverAfter Duration `json:"recoverAfter,omitempty"`
	// MinPending is how much evidence degrades an arch's spot: pods that
	// waited PendingAfter plus spot NodeClaim failures (default 1).
	MinPending int `json:"minPending,omitempty"`
	// OnDemandWeight is the on-demand pools' weight while degraded (default 100).
	OnDemandWeight int32 `json:"onDemandWeight,omitempty"`
}

// LimitsPolicy bounds NodePool spec.limits.
type LimitsPolicy struct {
	// ShrinkAfter is how long demand must stay below the limit before the
	// limit shrinks back (default 30m).
	ShrinkAfter Duration `json:"shrinkAfter,omitempty"`
	// NodePools maps a NodePool name to its floor and ceiling.
	NodePools map[string]LimitRange `json:"nodePools,omitempty"`
}

// LimitRange is a floor and a ceiling per resource (cpu, memory).
type LimitRange struct {
	// Floor is the lowest limit the scaler writes.
	Floor map[corev1.ResourceName]Quantity `json:"floor,omitempty"`
	// Ceiling is the highest limit the scaler writes.
	Ceiling map[corev1.ResourceName]Quantity `json:"ceiling,omitempty"`
}

// ConsolidationPolicy switches consolidateAfter between busy and idle values.
type ConsolidationPolicy struct {
	// Enabled turns consolidation tuning on (default false).
	Enabled bool `json:"enabled,omitempty"`
	// Busy is consolidateAfter while jobs keep arriving (default 10m).
	Busy Duration `json:"busy,omitempty"`
	// Idle is consolidateAfter once arrivals stop (default 1m).
	Idle Duration `json:"idle,omitempty"`
	// BusyThreshold is how many job pods must arrive within Window for the
	// cluster to count as busy (default 5).
	BusyThreshold int `json:"busyThreshold,omitempty"`
	// Window is the arrival window (default 10m).
	Window Duration `json:"window,omitempty"`
	// ReleaseWhenFalling sets Idle while busy when arrivals are falling:
	// fewer than half as many in the latest half of Window as in the half
	// before it (default false).
	ReleaseWhenFalling bool `json:"releaseWhenFalling,omitempty"`
	// NodePools limits tuning to these pools (default: every listed pool).
	NodePools []string `json:"nodePools,omitempty"`
}

// HeadroomPolicy keeps negative-priority placeholder pods per arch.
type HeadroomPolicy struct {
	// Enabled turns headroom on; off deletes every placeholder.
	Enabled bool `json:"enabled,omitempty"`
	// PerArch sizes the headroom of each arch.
	PerArch map[string]ArchHeadroom `json:"perArch,omitempty"`
	// PodTemplate shapes the placeholder pods.
	PodTemplate HeadroomPodTemplate `json:"podTemplate,omitempty"`
}

// ArchHeadroom is the placeholder count rule of one arch.
type ArchHeadroom struct {
	// Min and Max bound the count.
	Min int `json:"min,omitempty"`
	Max int `json:"max,omitempty"`
	// Quantile of the demand samples over Window (default 0.9): of the
	// concurrent demand, or with LeadTime of its growth within LeadTime.
	Quantile float64 `json:"quantile,omitempty"`
	// Window of demand history (default 1h).
	Window Duration `json:"window,omitempty"`
	// LeadTime, when set, sizes headroom by arrivals instead of by
	// concurrency: the Quantile of how much the demand grew within any
	// LeadTime (set it to the nodes' boot time), less the job-sized room
	// already free on the arch's nodes. Unset keeps the concurrency rule.
	LeadTime Duration `json:"leadTime,omitempty"`
	// Schedules raise the count in cron windows (UTC).
	Schedules []HeadroomSchedule `json:"schedules,omitempty"`
}

// HeadroomSchedule keeps at least Min placeholders for Duration after each
// Cron activation (UTC).
type HeadroomSchedule struct {
	Cron     string   `json:"cron"`
	Duration Duration `json:"duration"`
	Min      int      `json:"min"`
}

// HeadroomPodTemplate shapes the placeholder pods.
type HeadroomPodTemplate struct {
	// CPU and Memory size a placeholder when no job pods are running to
	// copy a typical size from.
	CPU    Quantity `json:"cpu,omitempty"`
	Memory Quantity `json:"memory,omitempty"`
	// Image is the placeholder image (default registry.k8s.io/pause:3.10).
	Image string `json:"image,omitempty"`
	// CapacityType pins the placeholders (default spot).
	CapacityType string `json:"capacityType,omitempty"`
	// NodeSelector and Tolerations are added to every placeholder.
	NodeSelector map[string]string   `json:"nodeSelector,omitempty"`
	Tolerations  []corev1.Toleration `json:"tolerations,omitempty"`
	// SchedulerName is the scheduler that places the placeholders, so
	// that they pack the way the job pods do (the Policy's
	// scheduling.schedulerName, e.g. jobfit-binpack). Like the webhook, the
	// scaler uses it only while that scheduler holds its Lease in jobfit's
	// namespace, and the default scheduler otherwise.
	SchedulerName string `json:"schedulerName,omitempty"`
}

// Duration is a Go duration as written in a policy ("3m", "1h30m"). Like
// Quantity it never fails to decode; Validate reports a bad value with its
// field path.
type Duration struct {
	raw string
	d   time.Duration
	err error
}

// ParseDuration parses s; a bad value is reported by Err.
func ParseDuration(s string) Duration {
	d, err := time.ParseDuration(s)
	if err == nil && d < 0 {
		err = fmt.Errorf("must not be negative")
	}
	return Duration{raw: s, d: d, err: err}
}

// Value returns the duration (zero when invalid or unset).
func (d Duration) Value() time.Duration { return d.d }

// Err returns the parse error, if any.
func (d Duration) Err() error { return d.err }

// IsZero reports whether the duration was left unset.
func (d Duration) IsZero() bool { return d.raw == "" && d.err == nil }

// String returns the duration as written.
func (d Duration) String() string { return d.raw }

// UnmarshalJSON accepts a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	var s string
	if len(b) == 0 || b[0] != '"' || json.Unmarshal(b, &s) != nil {
		*d = Duration{raw: string(b), err: fmt.Errorf("must be a duration string such as \"3m\" or \"1h\"")}
		return nil
	}
	*d = ParseDuration(s)
	return nil
}

// MarshalJSON writes the duration as written.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.raw) }

// Pool returns the entry for the NodePool name, if listed.
func (p *ScalerPolicy) Pool(name string) (ScalerNodePool, bool) {
	for _, np := range p.NodePools {
		if np.Name == name {
			return np, true
		}
	}
	return ScalerNodePool{}, false
}

// FallbackEnabled reports whether the spot fallback is on.
func (p *ScalerPolicy) FallbackEnabled() bool {
	return p.Fallback.Enabled == nil || *p.Fallback.Enabled
}
