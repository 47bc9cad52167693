package v1alpha1

import (
	"bytes"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

const (
	// GroupVersion is the apiVersion of every jobfit policy document.
	GroupVersion = "jobfit.dev/v1alpha1"
	// KindPolicy is the kind of the placement policy read by the webhook.
	KindPolicy = "Policy"
)

// Platform names the kind of cluster a policy targets.
type Platform string

// The platforms without a section of their own (the others are in their
// files: eci.go, fargate.go); Platforms lists them all.
const (
	PlatformKarpenter Platform = "karpenter"
	PlatformGeneric   Platform = "generic"
)

// Policy is the placement policy for GitLab Runner job pods
// (apiVersion jobfit.dev/v1alpha1, kind Policy).
//
// SetDefaults and Validate prepare it; the engine (package policy) loads
// it from a document and applies it.
type Policy struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Metadata   Meta   `json:"metadata,omitempty"`

	// Platform selects the platform rules: karpenter, eci, fargate or generic.
	Platform Platform `json:"platform,omitempty"`
	// Selector narrows the job pods the policy applies to. Empty selects all.
	Selector Selector `json:"selector,omitempty"`
	// PodOptOut lets a pod opt out with the label jobfit.dev/inject=disabled.
	PodOptOut bool `json:"podOptOut,omitempty"`
	// Traits says where a job's arch, capacity type and size are read from.
	Traits Traits `json:"traits,omitempty"`
	// Arch controls the arch node selector and the helper image.
	Arch ArchPolicy `json:"arch,omitempty"`
	// Capacity controls spot or on-demand placement.
	Capacity CapacityPolicy `json:"capacity,omitempty"`
	// Scheduling adds the tolerations and priority class that let a job pod
	// land on the nodes it is steered to.
	Scheduling SchedulingPolicy `json:"scheduling,omitempty"`
	// Disruption controls Karpenter's do-not-disrupt annotation.
	Disruption DisruptionPolicy `json:"disruption,omitempty"`
	// Resources holds defaults that fill gaps, size classes and caps.
	Resources ResourcePolicy `json:"resources,omitempty"`
	// Caches are PVC volumes mounted into the job's containers.
	Caches []Cache `json:"caches,omitempty"`
	// Secrets fixes the file modes of secret volumes the runner mounts.
	Secrets []SecretMode `json:"secrets,omitempty"`
	// Labels are added to job pods; existing labels are never changed.
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations are added to job pods; existing annotations are never changed.
	Annotations map[string]string `json:"annotations,omitempty"`
	// ECI holds the Alibaba Cloud ECI rules (platform: eci).
	ECI ECIPolicy `json:"eci,omitempty"`
	// Fargate holds the EKS Fargate rules (platform: fargate).
	Fargate FargatePolicy `json:"fargate,omitempty"`
	// NamespaceOverrides lists the sections a namespace policy may override.
	NamespaceOverrides []string `json:"namespaceOverrides,omitempty"`
	// DockerSocket says whether the nodes run a Docker daemon whose socket
	// job pods may mount; unset, the platform decides (HasDockerSocket).
	// Cluster policy only.
	DockerSocket *bool `json:"dockerSocket,omitempty"`
}

// Meta is the part of Kubernetes object metadata a policy document uses.
type Meta struct {
	Name string `json:"name,omitempty"`
}

// Selector narrows the job pods a policy applies to.
type Selector struct {
	// RunnerIDs matches CI_RUNNER_ID or the manager.runner.gitlab.com/id-short label.
	RunnerIDs []string `json:"runnerIDs,omitempty"`
	// RootNamespaces matches the project's root namespace (GitLab group).
	RootNamespaces []string `json:"rootNamespaces,omitempty"`
}

// TraitSource is one place a job trait may be read from.
type TraitSource string

// The trait sources, in their default precedence.
const (
	SourceLabel      TraitSource = "label"
	SourceVariable   TraitSource = "variable"
	SourceRunnerTags TraitSource = "runnerTags"
)

// Traits says where job traits are read from and how tags map to values.
type Traits struct {
	// Sources is the precedence of trait sources. An arch already pinned in
	// the pod's nodeSelector always wins over all of them.
	Sources []TraitSource `json:"sources,omitempty"`
	// Variables names the job variables read for each trait.
	Variables TraitVariables `json:"variables,omitempty"`
	// Tags maps trait values to the runner tags (and variable values) that mean them.
	Tags TraitTags `json:"tags,omitempty"`
}

// TraitVariables names the job variables read for each trait, first match wins.
type TraitVariables struct {
	Arch         []string `json:"arch,omitempty"`
	CapacityType []string `json:"capacityType,omitempty"`
	Size         []string `json:"size,omitempty"`
}

// TraitTags maps each trait value to its aliases, e.g. arm64: [arm64, aarch64].
type TraitTags struct {
	Arch         map[string][]string `json:"arch,omitempty"`
	CapacityType map[string][]string `json:"capacityType,omitempty"`
	Size         map[string][]string `json:"size,omitempty"`
}

// HelperImageMode says what happens to GitLab's per-arch helper images.
type HelperImageMode string

// Helper image modes.
const (
	HelperImageRewrite HelperImageMode = "rewrite"
	HelperImageKeep    HelperImageMode = "keep"
)

// ArchPolicy controls the arch and OS node selectors and the helper image.
type ArchPolicy struct {
	// Default is the arch used when no source names one.
	Default string `json:"default,omitempty"`
	// OS is the kubernetes.io/os node selector value.
	OS string `json:"os,omitempty"`
	// HelperImage is rewrite (default) or keep.
	HelperImage HelperImageMode `json:"helperImage,omitempty"`
	// HelperImageMap lists sets of equivalent custom helper images, one per
	// arch. A container whose image is in a set gets the set's image for the
	// pod's arch.
	HelperImageMap []map[string]string `json:"helperImageMap,omitempty"`
	// Preferred lists arches in the order the platform team would rather
	// run them (cost order, e.g. [arm64, amd64]). With FromImages, a job
	// that names no arch gets the first of them that all its images
	// support. Defaults to [Default].
	Preferred []string `json:"preferred,omitempty"`
	// FromImages picks the arch of a job that names none from the
	// platforms its images offer, as far as the image-platform cache
	// knows them. An image the cache does not know yet leaves the job on
	// Default, with a note. Off by default.
	FromImages bool `json:"fromImages,omitempty"`
	// PrewarmImages are image references, written as job pods name them,
	// whose platforms the scaler's image resolver reads at its start and
	// keeps fresh, before any job asks: the first jobs of the morning are
	// then placed by their images. At most MaxPrewarmImages; cluster
	// policy only.
	PrewarmImages []string `json:"prewarmImages,omitempty"`
}

// PreferredArches returns Preferred, or [Default] when it is empty.
func (a *ArchPolicy) PreferredArches() []string {
	if len(a.Preferred) == 0 {
		return []string{a.Default}
	}
	return a.Preferred
}

// Capacity types.
const (
	CapacitySpot     = "spot"
	CapacityOnDemand = "on-demand"
)

// Enforcement says how strongly a capacity type is asked for.
type Enforcement string

// Enforcement values.
const (
	EnforcementRequired  Enforcement = "required"
	EnforcementPreferred Enforcement = "preferred"
)

// Fallback says whether placement follows the scaler's capacity status.
type Fallback string

// Fallback values.
const (
	FallbackFollowScaler Fallback = "follow-scaler"
	FallbackNone         Fallback = "none"
)

// CapacityPolicy controls spot or on-demand placement.
type CapacityPolicy struct {
	// Default is spot or on-demand.
	Default string `json:"default,omitempty"`
	// Enforcement is required (nodeSelector) or preferred (node affinity).
	Enforcement Enforcement `json:"enforcement,omitempty"`
	// Fallback is follow-scaler (use on-demand while spot is degraded) or none.
	Fallback Fallback `json:"fallback,omitempty"`
	// OverrideRunnerPin lets jobfit replace a capacity type the runner
	// pinned in its nodeSelector, so that per-job choices and the spot
	// fallback work with old runner configs. Off by default: the runner's
	// config wins. An arch pin is never replaced (the runner chose the
	// helper image for it).
	OverrideRunnerPin bool `json:"overrideRunnerPin,omitempty"`
}

// DoNotDisrupt is how Karpenter's do-not-disrupt annotation is set.
type DoNotDisrupt string

// DoNotDisrupt values.
const (
	DoNotDisruptTrue       DoNotDisrupt = "true"
	DoNotDisruptJobTimeout DoNotDisrupt = "job-timeout"
	DoNotDisruptOff        DoNotDisrupt = "off"
)

// UnmarshalJSON accepts "true", "job-timeout" and "off", and also the YAML
// 1.1 booleans that an unquoted true or off decode to.
func (d *DoNotDisrupt) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "true":
		*d = DoNotDisruptTrue
		return nil
	case "false":
		*d = DoNotDisruptOff
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("disruption.doNotDisrupt must be \"true\", job-timeout or off")
	}
	*d = DoNotDisrupt(s)
	return nil
}

// DisruptionPolicy controls karpenter.sh/do-not-disrupt.
type DisruptionPolicy struct {
	// DoNotDisrupt is "true", job-timeout or off.
	DoNotDisrupt DoNotDisrupt `json:"doNotDisrupt,omitempty"`
	// Margin is added to the job timeout (a Go duration, default 15m).
	Margin string `json:"margin,omitempty"`
}

// ResourcePolicy holds resource defaults, size classes and caps.
type ResourcePolicy struct {
	// Defaults fill requests and limits the runner left unset.
	Defaults ContainerResources `json:"defaults,omitempty"`
	// Sizes are classes a job asks for through the size trait.
	Sizes map[string]ContainerResources `json:"sizes,omitempty"`
	// Max caps every container's requests and limits (clamped with a warning).
	Max map[corev1.ResourceName]Quantity `json:"max,omitempty"`
	// JobVariables honours GitLab's job resource variables
	// (KUBERNETES_CPU_REQUEST, KUBERNETES_HELPER_MEMORY_LIMIT,
	// KUBERNETES_SERVICE_CPU_LIMIT, ...) found in the build container's
	// env, within Max. Default false: the runner's admin may have left them
	// out of *_overwrite_max_allowed on purpose.
	JobVariables *bool `json:"jobVariables,omitempty"`
}

// ContainerResources holds resources per kind of job container.
type ContainerResources struct {
	Build    Resources `json:"build,omitempty"`
	Helper   Resources `json:"helper,omitempty"`
	Services Resources `json:"services,omitempty"`
}

// Resources is a container's requests and limits.
type Resources struct {
	Requests map[corev1.ResourceName]Quantity `json:"requests,omitempty"`
	Limits   map[corev1.ResourceName]Quantity `json:"limits,omitempty"`
}

// Cache is a PVC volume mounted into job containers.
type Cache struct {
	// Name is the volume name.
	Name string `json:"name"`
	// ClaimName is a template: {arch}, {capacityType}, {namespace},
	// {projectID} and {rootNamespace} are replaced.
	ClaimName string `json:"claimName"`
	// MountPath is where the cache is mounted.
	MountPath string `json:"mountPath"`
	// SubPath is an optional template for the mount's subPath.
	SubPath string `json:"subPath,omitempty"`
	// ReadOnly mounts the cache read-only.
	ReadOnly bool `json:"readOnly,omitempty"`
	// Containers is build, helper and/or services (default: build, helper).
	Containers []string `json:"containers,omitempty"`
}

// SecretMode sets the file mode of a secret volume the runner mounts.
type SecretMode struct {
	SecretName  string `json:"secretName"`
	DefaultMode *int32 `json:"defaultMode"`
}
