package v1alpha1

// Container names GitLab Runner's Kubernetes executor uses, which the
// policy's resources and caches sections name (services: every service
// container).
const (
	ContainerBuild    = "build"
	ContainerHelper   = "helper"
	ContainerServices = "services"
)

// Names of jobfit's own that the policy document refers to: the record
// and trait keys it reserves, and the headroom priority class no job may use.
const (
	AppliedAnnotation   = "jobfit.dev/applied"
	TraitArchKey        = "jobfit.dev/arch"
	TraitCapacityKey    = "jobfit.dev/capacity-type"
	TraitSizeKey        = "jobfit.dev/size"
	HeadroomPriorityCls = "jobfit-headroom"
)
