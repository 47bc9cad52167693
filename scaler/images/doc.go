// Package images resolves the platforms job images offer, off the
// admission path, and keeps them in a bounded cache that the scaler's
// leader publishes in the jobfit-image-platforms ConfigMap for the webhook
// (policy arch.fromImages).
//
// The Resolver reads an image's manifest list or OCI index (or, for a
// single-platform image, its config) with go-containerregistry, with the
// credentials the kubelet would use: the pod's imagePullSecrets and its
// ServiceAccount's, then, for ECR hosts only, the AWS role through the ECR
// credential helper (ECRKeychain). It is bounded in concurrency (the caller's), per-registry
// rate, time and response size, and never logs or keeps a credential.
//
// The Cache is pure: it decides what is due (unknown, a tag past its TTL,
// a failure past its back-off), evicts the least recently used entries
// beyond its size, and encodes itself for the ConfigMap.
package images
