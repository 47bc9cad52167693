package policy

import (
	"encoding/json"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Trait is one resolved job trait and where it came from.
type Trait struct {
	// Value is the normalised value (amd64, spot, large) or empty.
	Value string
	// Source says where the value came from, e.g. "label jobfit.dev/arch",
	// "variable JOBFIT_ARCH", "runner tags", "nodeSelector", "default".
	Source string
}

// JobTraits are the traits of a job pod.
type JobTraits struct {
	// Asked holds what the job asked for, one per row of TraitKinds,
	// through the policy's trait sources; empty when it did not ask.
	Asked [len(v1alpha1.TraitKinds)]Trait
	// ArchPin and CapacityPin are the values the runner's config fixed in
	// the pod's nodeSelector or required node affinity. The runner wins.
	ArchPin, CapacityPin Pin
}

// Of returns the named trait (a TraitKinds name) the job asked for.
func (t *JobTraits) Of(name string) Trait { return t.Asked[v1alpha1.TraitIndex(name)] }

type traitSpec struct {
	key     string            // jobfit.dev/<trait> label and annotation
	vars    []string          // job variables to read
	aliases map[string]string // lower-cased alias -> value
}

// resolveTraits reads a job pod's traits in the policy's order, and the
// runner's pins. It returns warnings for values that were present but meant
// nothing.
func resolveTraits(pod *corev1.Pod, p *Policy, env map[string]string, prior Record) (JobTraits, []string) {
	tags := parseRunnerTags(env[v1alpha1.VarRunnerTags])
	var t JobTraits
	var warns []string
	resolve := func(spec traitSpec) Trait {
		tr, w := resolveTrait(pod, p.Traits.Sources, spec, env, tags)
		warns = append(warns, w...)
		return tr
	}
	for i := range v1alpha1.TraitKinds {
		k := &v1alpha1.TraitKinds[i]
		t.Asked[i] = resolve(traitSpec{k.Key, *k.Variables(&p.Traits.Variables), p.idx.aliases[i]})
	}
	t.ArchPin = runnerPin(pod, v1alpha1.LabelArch, MutArch, prior)
	t.CapacityPin = runnerPin(pod, v1alpha1.LabelCapacityType, MutCapacity, prior)
	return t, warns
}

func resolveTrait(pod *corev1.Pod, sources []v1alpha1.TraitSource, spec traitSpec, env map[string]string, tags []string) (Trait, []string) {
	var warns []string
	for _, src := range sources {
		switch src {
		case v1alpha1.SourceLabel:
			for _, kind := range []struct {
				name string
				m    map[string]string
			}{{"label", pod.Labels}, {"annotation", pod.Annotations}} {
				// An empty value is unset: pod_labels "$JOBFIT_ARCH" expands
				// to "" in jobs that do not set the variable.
				if raw, ok := kind.m[spec.key]; ok && raw != "" {
					if v, ok := spec.aliases[strings.ToLower(raw)]; ok {
						return Trait{v, kind.name + " " + spec.key}, warns
					}
					warns = append(warns, kind.name+" "+spec.key+"="+raw+" is not a known value; ignored")
				}
			}
		case v1alpha1.SourceVariable:
			for _, name := range spec.vars {
				if raw, ok := env[name]; ok && raw != "" {
					if v, ok := spec.aliases[strings.ToLower(raw)]; ok {
						return Trait{v, "variable " + name}, warns
					}
					warns = append(warns, "variable "+name+"="+raw+" is not a known value; ignored")
				}
			}
		case v1alpha1.SourceRunnerTags:
			if v, w := fromTags(tags, spec.aliases); v != "" {
				return Trait{v, "runner tags"}, warns
			} else if w != "" {
				warns = append(warns, w)
			}
		}
	}
	return Trait{}, warns
}

// fromTags finds the one value the runner's tags mean; tags that mean two
// different values are ambiguous and ignored with a warning.
func fromTags(tags []string, aliases map[string]string) (string, string) {
	found := ""
	for _, tag := range tags {
		v, ok := aliases[strings.ToLower(tag)]
		if !ok {
			continue
		}
		if found != "" && found != v {
			return "", "runner tags mean both " + found + " and " + v + "; ignored"
		}
		found = v
	}
	return found, ""
}

// parseRunnerTags accepts CI_RUNNER_TAGS as GitLab writes it today
// (`["arm64", "kubernetes"]`, Ruby's Array#to_s) and as older GitLab did
// (`arm64, kubernetes`).
func parseRunnerTags(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if strings.HasPrefix(s, "[") {
		var tags []string
		if err := json.Unmarshal([]byte(s), &tags); err == nil {
			return tags
		}
		s = strings.Trim(s, "[]")
	}
	parts := strings.Split(s, ",")
	tags := parts[:0]
	for _, t := range parts {
		if t = strings.Trim(strings.TrimSpace(t), `"'`); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}

// jobEnv returns the wanted variables of the build container's literal env:
// the job's public variables. Values from valueFrom are not job variables.
func jobEnv(pod *corev1.Pod, wanted map[string]bool) map[string]string {
	i := containerIndex(pod.Spec.Containers, v1alpha1.ContainerBuild)
	if i < 0 {
		return nil
	}
	env := pod.Spec.Containers[i].Env
	m := make(map[string]string, 8)
	for j := range env {
		if env[j].ValueFrom == nil && wanted[env[j].Name] {
			m[env[j].Name] = env[j].Value
		}
	}
	return m
}
