// Package runnerlint checks a GitLab Runner config.toml for settings that
// defeat or duplicate what jobfit does under a policy: arch and capacity
// pins, per-arch helper images, tolerations the policy adds, caps that
// block job resource variables, missing pod_labels, the Docker socket on
// nodes without Docker, and pause pods beside jobfit's headroom. Each
// finding names the line and the fix. `jobfit runner lint` and
// `kubectl jobfit doctor` share it.
package runnerlint

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/pelletier/go-toml/v2"

	"jobfit.dev/jobfit/policy"
)

// Severity says whether a finding defeats jobfit (error) or only
// duplicates it or misses a convenience (warning).
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Rules, as findings name them.
const (
	RuleArchPin       = "arch-pin"
	RuleOSPin         = "os-pin"
	RuleCapacityPin   = "capacity-pin"
	RuleRunnerPerArch = "runner-per-arch"
	RuleHelperImage   = "helper-image"
	RuleTolerations   = "node-tolerations"
	RuleOverwriteMax  = "overwrite-max-allowed"
	RulePodLabels     = "pod-labels"
	RuleDockerSocket  = "docker-socket"
	RulePausePods     = "pause-pods"
)

// Finding is one setting to change.
type Finding struct {
	// Line is the line in the TOML document, 1-based.
	Line int `json:"line"`
	// Runner is the [[runners]] entry's name, or runners[i] without one.
	Runner   string   `json:"runner"`
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix"`
}

// Lint checks a config.toml. p may be nil: the checks that depend on the
// policy (tolerations, job variables, pod_labels, the Docker socket) are
// then skipped. The findings are sorted by line. A document that is not
// TOML is an error, with the parser's position.
func Lint(src []byte, p *policy.Policy) ([]Finding, error) {
	ln, err := indexLines(src)
	if err != nil {
		return nil, fmt.Errorf("parsing TOML: %w", err)
	}
	var cfg config
	if err := toml.Unmarshal(src, &cfg); err != nil {
		return nil, fmt.Errorf("reading runner config: %w", err)
	}
	if len(cfg.Runners) == 0 {
		return nil, fmt.Errorf("no [[runners]] entry: not a GitLab Runner config.toml")
	}
	var raw rawConfig
	if err := toml.Unmarshal(src, &raw); err != nil {
		return nil, fmt.Errorf("reading runner config: %w", err)
	}
	var out []Finding
	for i := range cfg.Runners {
		r := &cfg.Runners[i]
		if r.Kubernetes == nil {
			continue
		}
		r.Kubernetes.Settings = raw.Runners[i].Kubernetes
		c := &check{lines: ln, index: i, runner: r, policy: p}
		for _, rule := range rules {
			rule(c)
		}
		out = append(out, c.findings...)
	}
	out = append(out, runnerPerArch(cfg.Runners, ln)...)
	sort.SliceStable(out, func(a, b int) bool { return out[a].Line < out[b].Line })
	return out, nil
}

// Errors counts the findings of severity error.
func Errors(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity == SeverityError {
			n++
		}
	}
	return n
}

// check is one [[runners]] entry being linted.
type check struct {
	lines    lines
	index    int
	runner   *runner
	policy   *policy.Policy
	findings []Finding
}

// rules run on each runner with a [runners.kubernetes] section.
var rules = []func(*check){
	(*check).nodeSelector,
	(*check).helperImage,
	(*check).tolerations,
	(*check).overwriteMax,
	(*check).podLabels,
	(*check).dockerSocket,
	(*check).pausePods,
}

func runnerName(r *runner, i int) string {
	if r.Name != "" {
		return r.Name
	}
	return "runners[" + strconv.Itoa(i) + "]"
}

// add records a finding at the line of the key under [runners.kubernetes].
func (c *check) add(sev Severity, rule, msg, fix string, key ...string) {
	path := append([]string{"runners", strconv.Itoa(c.index), "kubernetes"}, key...)
	c.findings = append(c.findings, Finding{
		Line: c.lines.at(path...), Runner: runnerName(c.runner, c.index),
		Severity: sev, Rule: rule, Message: msg, Fix: fix,
	})
}
