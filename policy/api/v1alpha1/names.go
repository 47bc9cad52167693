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

// Init container names GitLab Runner's Kubernetes executor uses.
const (
	InitPermissions    = "init-permissions"
	InitStepsBootstrap = "init-steps-bootstrap"
	InitBuildUIDGID    = "init-build-uid-gid-collector"
)

// Labels and annotations GitLab Runner puts on job pods.
const (
	AnnotationJobID      = "job.runner.gitlab.com/id"
	AnnotationJobTimeout = "job.runner.gitlab.com/timeout"
	// AnnotationJobName is the job's name, as GitLab Runner annotates it
	// (15.9+).
	AnnotationJobName   = "job.runner.gitlab.com/name"
	LabelJobPod         = "job.runner.gitlab.com/pod"
	LabelLegacyPod      = "pod"
	LabelPausePod       = "runner.gitlab.com/pause-pod"
	LabelProjectID      = "project.runner.gitlab.com/id"
	LabelRootNamespace  = "project.runner.gitlab.com/root-namespace"
	LabelManagerIDShort = "manager.runner.gitlab.com/id-short"
	AnnotationProjectID = "project.runner.gitlab.com/id"
)

// Job variables GitLab Runner passes in the build container's env.
const (
	VarRunnerTags    = "CI_RUNNER_TAGS"
	VarRunnerID      = "CI_RUNNER_ID"
	VarJobTimeout    = "CI_JOB_TIMEOUT"
	VarRootNamespace = "CI_PROJECT_ROOT_NAMESPACE"
	VarProjectID     = "CI_PROJECT_ID"
	// VarPipelineID and VarJobName name a job across its retries: GitLab's
	// retry is a new job (a new id) of the same name in the same pipeline.
	VarPipelineID = "CI_PIPELINE_ID"
	VarJobName    = "CI_JOB_NAME"
)

// Node labels and annotations of the platforms jobfit targets.
const (
	LabelArch              = "kubernetes.io/arch"
	LabelOS                = "kubernetes.io/os"
	LabelCapacityType      = "karpenter.sh/capacity-type"
	AnnotationDoNotDisrupt = "karpenter.sh/do-not-disrupt"
)

// Labels of jobfit's own on namespaces and pods.
const (
	InjectLabel    = "jobfit.dev/inject"
	InjectEnabled  = "enabled"
	InjectDisabled = "disabled"
	// HeadroomLabel marks the scaler's placeholder pods; its value is the
	// arch they hold room on.
	HeadroomLabel = "jobfit.dev/headroom"
)

// Policy ConfigMaps: the label that marks them, its values, and the data
// key of the document.
const (
	// PolicyLabel marks ConfigMaps that carry a policy; its value is
	// cluster, namespace or scaler.
	PolicyLabel = "jobfit.dev/policy"
	// PolicyDataKey is the ConfigMap data key that carries a policy document.
	PolicyDataKey = "policy.yaml"

	PolicyKindCluster   = "cluster"
	PolicyKindNamespace = "namespace"
	PolicyKindScaler    = "scaler"
)

// ConfigMaps the scaler writes in jobfit's namespace, and their data keys.
const (
	// CapacityStatusName is the ConfigMap through which the scaler tells the
	// webhook which capacity is degraded.
	CapacityStatusName = "jobfit-capacity-status"
	// CapacityStatusKey is the data key that holds the status document.
	CapacityStatusKey = "status.yaml"
	// ImagePlatformsName is the ConfigMap in which the scaler's image
	// resolver publishes the platforms of the images job pods run, and from
	// which the webhook reads them.
	ImagePlatformsName = "jobfit-image-platforms"
	// ImagePlatformsKey is the data key that holds the ImagePlatforms
	// document: the same JSON `jobfit mutate --image-platforms` reads.
	ImagePlatformsKey = "platforms.json"
)

// Event reasons on policy and capacity-status ConfigMaps, recorded by the
// webhook and the scaler and read back by kubectl jobfit.
const (
	ReasonPolicyLoaded   = "PolicyLoaded"
	ReasonPolicyRejected = "PolicyRejected"
	// ReasonPolicyConflict is on each of several valid policy ConfigMaps of
	// one kind in one namespace: none of them is put in force.
	ReasonPolicyConflict = "PolicyConflict"
	ReasonPolicyClamped  = "PolicyClamped"
	// ReasonPolicyReferenceMissing is on a policy put in force that names an
	// object that does not exist.
	ReasonPolicyReferenceMissing = "PolicyReferenceMissing"
	ReasonStatusRejected         = "CapacityStatusRejected"
	ReasonImagesRejected         = "ImagePlatformsRejected"
)

// Names the scaler writes with and reasons of the Events it puts on job
// pods, read back by kubectl jobfit and the tests.
const (
	// ScalerFieldManager is the server-side apply field manager of every
	// scaler write.
	ScalerFieldManager = "jobfit-scaler"
	// ReasonJobBlockedByVolume is the reason of the Warning Event on a job
	// pod that waits because of a volume.
	ReasonJobBlockedByVolume = "JobBlockedByVolume"
	// ReasonImageArchConflict is the Warning Event reason on a job pod that
	// asked for an arch (or whose runner pinned one) that some of its images
	// do not offer (arch.fromImages). kubectl describe pod shows it.
	ReasonImageArchConflict = "ImageArchConflict"
)
