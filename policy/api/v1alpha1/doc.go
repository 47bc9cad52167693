// Package v1alpha1 is the jobfit.dev/v1alpha1 API: the Policy and
// ScalerPolicy documents, their defaults and their validation (with the
// field path a user would edit).
//
// It is pure: it imports k8s.io/api and k8s.io/apimachinery only. Reading
// a document, recognising job pods, resolving traits and Apply live in the
// engine, package policy; the scaler reads ScalerPolicy from here.
//
// Defaults and validation are methods, one style for every type:
// SetDefaults() fills what the user left unset, and Validate returns a
// field.ErrorList (sections take their field path, Validate(path)).
package v1alpha1
