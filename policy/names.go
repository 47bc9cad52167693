package policy

// Init container names GitLab Runner's Kubernetes executor uses (the
// build, helper and services containers are in policy/api/v1alpha1).
const (
	InitPermissions    = "init-permissions"
	InitStepsBootstrap = "init-steps-bootstrap"
	InitBuildUIDGID    = "init-build-uid-gid-collector"
)

// Labels and annotations GitLab Runner puts on job pods.
const (
	AnnotationJobID      = "job.runner.gitlab.com/id"
	AnnotationJobTimeout = "job.runner.gitlab.com/timeout"
	LabelJobPod          = "job.runner.gitlab.com/pod"
	LabelLegacyPod       = "pod"
	LabelPausePod        = "runner.gitlab.com/pause-pod"
	LabelProjectID       = "project.runner.gitlab.com/id"
	LabelRootNamespace   = "project.runner.gitlab.com/root-namespace"
	LabelManagerIDShort  = "manager.runner.gitlab.com/id-short"
	AnnotationProjectID  = "project.runner.gitlab.com/id"
)

// Labels and annotations of jobfit's own (the jobfit.dev/ prefix).
const (
	InjectLabel    = "jobfit.dev/inject"
	InjectEnabled  = "enabled"
	InjectDisabled = "disabled"
	HeadroomLabel  = "jobfit.dev/headroom"
)

// Node labels and annotations of the platforms jobfit targets.
const (
	LabelArch              = "kubernetes.io/arch"
	LabelOS                = "kubernetes.io/os"
	LabelCapacityType      = "karpenter.sh/capacity-type"
	AnnotationDoNotDisrupt = "karpenter.sh/do-not-disrupt"
)

// Job variables GitLab Runner passes in the build container's env.
const (
	VarRunnerTags    = "CI_RUNNER_TAGS"
	VarRunnerID      = "CI_RUNNER_ID"
	VarJobTimeout    = "CI_JOB_TIMEOUT"
	VarRootNamespace = "CI_PROJECT_ROOT_NAMESPACE"
	VarProjectID     = "CI_PROJECT_ID"
)
