// Package policy is jobfit's pure engine.
//
// It owns the Policy document (types, strict decoding, defaulting and
// validation with field paths), the recognition of GitLab Runner job pods,
// the resolution of a job's traits (arch, capacity type, size) and Apply,
// which turns a job pod and a policy into the pod that should run, together
// with the decisions that explain it.
//
// The package takes data and returns data: it has no client, logger, clock
// or globals. The webhook and the `jobfit mutate` CLI share it byte for byte,
// which is what makes the offline preview trustworthy.
package policy
