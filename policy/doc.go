// Package policy is jobfit's pure engine.
//
// The documents themselves (the Policy and ScalerPolicy types, their
// defaults and validation) are the API, in policy/api/v1alpha1. This
// package reads them (strict decoding with field paths, Load, Merge of a
// namespace policy), recognises GitLab Runner job pods, resolves a job's
// traits (the rows of v1alpha1.TraitKinds) and runs Apply, which turns a
// job pod and a loaded policy into the pod that should run, together with
// the decisions that explain it. What differs per platform is one row of
// platforms and one file, platform_<name>.go; the order of Apply's steps
// is the steps table in apply.go.
//
// The package takes data and returns data: it has no client, logger, clock
// or globals. The webhook and the `jobfit mutate` CLI share it byte for byte,
// which is what makes the offline preview trustworthy.
package policy
