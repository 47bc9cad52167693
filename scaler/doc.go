// Package scaler holds jobfit's scaler controllers: thin reconcilers that
// read the job-pod pressure from the cache, ask the pure planners in the
// sub-packages what the NodePools, the capacity status and the headroom
// should look like, and write only what changed.
//
// Every NodePool write is one server-side apply with the field manager
// jobfit-scaler that carries all the behavioural fields jobfit manages for
// that pool (spec.weight, spec.limits entries, spec.disruption.consolidateAfter),
// so that jobfit never drops ownership of a field by omitting it, and never
// touches the template.
package scaler
