package runnerlint

import (
	"fmt"
	"strconv"
	"strings"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// runnerPerArch flags runners that exist only to serve another arch: in one
// config.toml, entries whose node_selector pins different arches. Under
// jobfit one runner serves both, and each job names its arch.
func runnerPerArch(rs []runner, ln lines) []Finding {
	first := map[string]int{} // arch -> first runner pinned to it
	var arches []string
	for i := range rs {
		arch := pinnedArch(&rs[i])
		if arch == "" {
			continue
		}
		if _, ok := first[arch]; !ok {
			first[arch] = i
			arches = append(arches, arch)
		}
	}
	if len(arches) < 2 {
		return nil
	}
	var out []Finding
	for _, arch := range arches[1:] {
		i := first[arch]
		out = append(out, Finding{
			Line: ln.at("runners", strconv.Itoa(i)), Runner: runnerName(&rs[i], i), Severity: SeverityWarning, Rule: RuleRunnerPerArch,
			Message: fmt.Sprintf("this runner exists to serve %s while runner %s serves %s: one runner per arch (%s)", arch, runnerName(&rs[first[arches[0]]], first[arches[0]]), arches[0], strings.Join(arches, ", ")),
			Fix:     "keep one runner with no arch pin for every arch; jobs that used its tag set JOBFIT_ARCH (or keep the tag: jobfit reads the runner's tags through traits.tags.arch)",
		})
	}
	return out
}

func pinnedArch(r *runner) string {
	if r.Kubernetes == nil {
		return ""
	}
	for _, k := range archKeys {
		if v := r.Kubernetes.NodeSelector[k]; v != "" {
			return v
		}
	}
	return ""
}

// archTags returns the runner tags (a Helm values runners.tags string, or a
// registration's tag list) that name an arch, by the default alias table.
func archTags(tags string) []string {
	var out []string
	for _, t := range strings.Split(tags, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		for _, aliases := range v1alpha1.DefaultArchTags {
			for _, a := range aliases {
				if t == a {
					out = append(out, t)
				}
			}
		}
	}
	return out
}
