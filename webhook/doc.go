// Package webhook is jobfit's admission webhook: an adapter around package
// policy. It decodes job pods, calls policy.Apply with the effective policy
// (the cluster policy merged with the namespace's), and answers with a JSON
// patch built by the patch library. It fails open, keeps the last good
// policy when an edit is invalid, and exports the admission metrics.
// Package certs (webhook/certs) manages its serving certificates.
//
// The hot path is kept lean because it sits in front of every pod create:
// reviewHandler decodes an AdmissionReview in one pass before handing it to
// controller-runtime's admission.Webhook, the pod is decoded with
// goccy/go-json, and the patch is computed from pods trimmed to the parts
// Apply changed (withoutEqualParts). Each shortcut is checked against the
// plain path on the whole test corpus; docs/performance.md has the figures.
package webhook
