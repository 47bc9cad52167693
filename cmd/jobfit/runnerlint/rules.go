package runnerlint

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Node labels a runner pins that jobfit chooses per job.
var (
	archKeys     = []string{v1alpha1.LabelArch, "beta.kubernetes.io/arch"}
	osKeys       = []string{v1alpha1.LabelOS, "beta.kubernetes.io/os"}
	capacityKeys = []string{v1alpha1.LabelCapacityType, "eks.amazonaws.com/capacityType"}
)

func (c *check) nodeSelector() {
	for _, k := range sortedKeys(c.runner.Kubernetes.NodeSelector) {
		v := c.runner.Kubernetes.NodeSelector[k]
		switch {
		case slices.Contains(archKeys, k):
			c.add(SeverityError, RuleArchPin,
				fmt.Sprintf("node_selector %s = %q pins every job of this runner to %s: neither a job's %s nor the runner's tags can move it", k, v, v, c.variable(v1alpha1.TraitArch)),
				"delete this line; jobs choose their arch with "+c.variable(v1alpha1.TraitArch)+" or the runner's tags, and jobfit adds the node selector and the matching helper image", "node_selector", k)
		case slices.Contains(osKeys, k):
			c.add(SeverityWarning, RuleOSPin,
				fmt.Sprintf("node_selector %s = %q duplicates the os node selector jobfit adds (arch.os)", k, v),
				"delete this line", "node_selector", k)
		case slices.Contains(capacityKeys, k):
			c.add(SeverityError, RuleCapacityPin,
				fmt.Sprintf("node_selector %s = %q wins over a job's %s and over the scaler's spot fallback: when %s capacity runs out the jobs wait until poll_timeout", k, v, c.variable(v1alpha1.TraitCapacityType), v),
				"delete this line; the policy's capacity.default chooses, jobs ask for on-demand with "+c.variable(v1alpha1.TraitCapacityType)+" (capacity.overrideRunnerPin: true bridges the time until every runner is cleaned up)", "node_selector", k)
		}
	}
}

// variable is the first job variable the policy reads for a trait.
func (c *check) variable(trait string) string {
	if c.policy != nil {
		k := &v1alpha1.TraitKinds[v1alpha1.TraitIndex(trait)]
		if vars := *k.Variables(&c.policy.Traits.Variables); len(vars) > 0 {
			return vars[0]
		}
	}
	return map[string]string{v1alpha1.TraitArch: "JOBFIT_ARCH", v1alpha1.TraitCapacityType: "JOBFIT_CAPACITY_TYPE", v1alpha1.TraitSize: "JOBFIT_SIZE"}[trait]
}

func (c *check) helperImage() {
	img := c.runner.Kubernetes.HelperImage
	if img == "" {
		return
	}
	if _, why := policy.RewriteHelperImage(img, "amd64"); why == "" {
		if c.policy == nil || c.policy.Arch.HelperImage == v1alpha1.HelperImageRewrite {
			c.add(SeverityWarning, RuleHelperImage,
				fmt.Sprintf("helper_image %q is GitLab's helper for one arch; jobfit rewrites it to each pod's arch, so a per-arch setting only duplicates that", img),
				"delete this line (keep helper_image_flavor if you use one)", "helper_image")
			return
		}
		c.add(SeverityError, RuleHelperImage,
			fmt.Sprintf("helper_image %q is GitLab's helper for one arch, and the policy keeps helper images (arch.helperImage: keep): a job placed on another arch dies at image pull", img),
			"delete this line, or set arch.helperImage: rewrite in the policy", "helper_image")
		return
	}
	if c.policy != nil && mapped(c.policy, img) {
		return
	}
	c.add(SeverityWarning, RuleHelperImage,
		fmt.Sprintf("helper_image %q is a custom image jobfit leaves alone: unless it is multi-arch, a job placed on another arch dies at image pull", img),
		"use a multi-arch image, or list its per-arch variants in the policy's arch.helperImageMap", "helper_image")
}

func mapped(p *policy.Policy, img string) bool {
	for _, set := range p.Arch.HelperImageMap {
		for _, v := range set {
			if v == img {
				return true
			}
		}
	}
	return false
}

// tolerations flags node_tolerations that a toleration the policy adds
// already covers.
func (c *check) tolerations() {
	if c.policy == nil {
		return
	}
	added := policyTolerations(c.policy)
	for _, k := range sortedKeys(c.runner.Kubernetes.NodeTolerations) {
		t := parseToleration(k, c.runner.Kubernetes.NodeTolerations[k])
		for i := range added {
			if v1alpha1.Covers(&added[i], &t) {
				c.add(SeverityWarning, RuleTolerations,
					fmt.Sprintf("node_tolerations %q = %q duplicates the toleration %s the policy adds", k, t.Effect, v1alpha1.FormatToleration(added[i])),
					"delete this line; the policy's scheduling section adds it to every job pod placed there", "node_tolerations", k)
				break
			}
		}
	}
}

func policyTolerations(p *policy.Policy) []corev1.Toleration {
	out := append([]corev1.Toleration(nil), p.Scheduling.Tolerations...)
	for _, m := range []map[string]v1alpha1.ScopedScheduling{p.Scheduling.ByArch, p.Scheduling.ByCapacityType} {
		for _, k := range sortedKeys(m) {
			out = append(out, m[k].Tolerations...)
		}
	}
	return out
}

// parseToleration reads the runner's "key=value" = "Effect" form ("key"
// alone means any value).
func parseToleration(k, effect string) corev1.Toleration {
	t := corev1.Toleration{Key: k, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffect(effect)}
	if key, value, ok := strings.Cut(k, "="); ok {
		t = corev1.Toleration{Key: key, Operator: corev1.TolerationOpEqual, Value: value, Effect: corev1.TaintEffect(effect)}
	}
	return t
}

// overwriteMax flags *_overwrite_max_allowed under a policy that honours
// job resource variables: the runner refuses values above them before
// jobfit sees the job, so the policy's resources.max never applies.
func (c *check) overwriteMax() {
	if c.policy == nil || c.policy.Resources.JobVariables == nil || !*c.policy.Resources.JobVariables {
		return
	}
	for _, k := range sortedKeys(c.runner.Kubernetes.Settings) {
		if strings.HasSuffix(k, "_overwrite_max_allowed") {
			c.add(SeverityError, RuleOverwriteMax,
				fmt.Sprintf("%s = %v caps GitLab's KUBERNETES_* resource variables in the runner, before jobfit sees them: the policy honours them (resources.jobVariables: true) up to its own resources.max", k, c.runner.Kubernetes.Settings[k]),
				"delete this line; the policy's resources.max caps what jobs ask for, with a warning instead of a failed job", k)
		}
	}
}

// podLabels flags traits the policy reads from labels that pod_labels does
// not pass through.
func (c *check) podLabels() {
	if c.policy == nil || !slices.Contains(c.policy.Traits.Sources, v1alpha1.SourceLabel) {
		return
	}
	var keys, lines []string
	for i := range v1alpha1.TraitKinds {
		k := &v1alpha1.TraitKinds[i]
		if _, ok := c.runner.Kubernetes.PodLabels[k.Key]; !ok {
			keys = append(keys, k.Key)
			lines = append(lines, fmt.Sprintf("%q = \"$%s\"", k.Key, c.variable(k.Name)))
		}
	}
	if len(keys) == 0 {
		return
	}
	c.add(SeverityWarning, RulePodLabels,
		fmt.Sprintf("pod_labels does not pass %s: a job's trait variables reach jobfit only through the build container's env, and the pod's labels (kubectl get pods -L, the scaler) do not show them", strings.Join(keys, ", ")),
		"add under [runners.kubernetes.pod_labels]: "+strings.Join(lines, ", "), "pod_labels")
}

// dockerSockets are the paths of the Docker daemon's socket on a node.
var dockerSockets = []string{"/var/run/docker.sock", "/run/docker.sock"}

func (c *check) dockerSocket() {
	if c.policy == nil || c.policy.HasDockerSocket() {
		return
	}
	for i, v := range c.runner.Kubernetes.Volumes.HostPath {
		if !slices.Contains(dockerSockets, path.Clean(v.HostPath)) {
			continue
		}
		sev := SeverityWarning
		if c.runner.Kubernetes.Privileged {
			sev = SeverityError
		}
		c.add(sev, RuleDockerSocket,
			fmt.Sprintf("volume %q mounts %s from the host, but platform %s's nodes run containerd with no Docker daemon: docker commands fail with \"Cannot connect to the Docker daemon\"", v.Name, v.HostPath, c.policy.Platform),
			"delete this volume; build images with a docker:dind service (privileged), Kaniko or BuildKit rootless, or set dockerSocket: true in the policy if your nodes do run Docker",
			"volumes", "host_path", fmt.Sprint(i), "host_path")
	}
}

// pausePods flags the runner's own pause pods: they and jobfit's headroom
// both hold idle capacity for jobs, and each counts the other's pods as
// load.
func (c *check) pausePods() {
	a := c.runner.Kubernetes.Autoscaler
	if a == nil {
		return
	}
	for i, p := range a.Policy {
		if p.IdleCount > 0 {
			c.add(SeverityWarning, RulePausePods,
				fmt.Sprintf("autoscaler policy idle_count = %d keeps runner pause pods beside jobfit's headroom placeholders: both hold idle nodes, and Karpenter sees each as the other's demand", p.IdleCount),
				"use one: set idle_count = 0 here, or leave headroom out of the ScalerPolicy",
				"autoscaler", "policy", fmt.Sprint(i), "idle_count")
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
