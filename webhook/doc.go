// Package webhook is jobfit's admission webhook: an adapter around package
// policy. It decodes job pods, calls policy.Apply with the effective policy
// (the cluster policy merged with the namespace's), and answers with a JSON
// patch built by controller-runtime. It fails open, keeps the last good
// policy when an edit is invalid, manages its own serving certificates, and
// exports the admission metrics.
package webhook
