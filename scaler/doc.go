// Package scaler wires jobfit's scaler: Setup builds its controllers on a
// manager (New) and registers them, behind a gate on Karpenter's CRDs
// (crdgate.go); AddToScheme and CacheOptions give the manager the types
// and the slim cache the controllers read.
//
// Each controller is a package of its own under scaler/controllers, its
// Reconcile and Register side by side: fallback (the capacity status),
// nodepool, headroom, imageplatforms and volumes. They are thin
// reconcilers: they read the job-pod pressure from the cache
// (scaler/observe), ask the pure planners in the other sub-packages
// (scaler/fallback, scaler/limits, scaler/consolidation, scaler/headroom,
// scaler/images, scaler/volumes) what the NodePools, the capacity status
// and the headroom should look like, write only what changed, and report
// in scaler/metrics.
//
// Every NodePool write is one server-side apply with the field manager
// jobfit-scaler that carries all the behavioural fields jobfit manages for
// that pool (spec.weight, spec.limits entries, spec.disruption.consolidateAfter),
// so that jobfit never drops ownership of a field by omitting it, and never
// touches the template.
package scaler
