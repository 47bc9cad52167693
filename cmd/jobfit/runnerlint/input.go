package runnerlint

import (
	"bytes"
	"fmt"

	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
)

// Document is a runner config.toml found in a file, with where it came
// from.
type Document struct {
	// Source says where the TOML is: "" for a bare config.toml, or the
	// key that carries it (runners.config in Helm values, data[...] in a
	// ConfigMap). Lines are relative to the TOML itself.
	Source string
	TOML   []byte
	// Tags are the runner tags the Helm values register with (runners.tags).
	Tags string
}

// ConfigMapKeys are the keys under which the gitlab-runner Helm chart's
// ConfigMap (config.template.toml) or a hand-made one carries the config.
var ConfigMapKeys = []string{"config.template.toml", "config.toml"}

// Extract finds the runner config in raw: a config.toml, the gitlab-runner
// Helm chart's values (runners.config), or a ConfigMap carrying it.
func Extract(raw []byte) (Document, error) {
	if _, err := indexLines(raw); err == nil {
		return Document{TOML: raw}, nil
	}
	var y struct {
		Kind    string            `json:"kind"`
		Data    map[string]string `json:"data"`
		Runners *struct {
			Config string `json:"config"`
			Tags   string `json:"tags"`
		} `json:"runners"`
	}
	if err := yaml.Unmarshal(raw, &y); err != nil {
		// Neither: report the TOML parser's error, which has a position.
		_, terr := indexLines(raw)
		return Document{}, fmt.Errorf("neither TOML (%w) nor YAML", terr)
	}
	switch {
	case y.Kind == "ConfigMap":
		for _, k := range ConfigMapKeys {
			if s, ok := y.Data[k]; ok {
				return Document{Source: "data[" + k + "]", TOML: []byte(s)}, nil
			}
		}
		return Document{}, fmt.Errorf("ConfigMap has no runner config under data[%q] or data[%q]", ConfigMapKeys[0], ConfigMapKeys[1])
	case y.Runners != nil && len(bytes.TrimSpace([]byte(y.Runners.Config))) > 0:
		return Document{Source: "runners.config", TOML: []byte(y.Runners.Config), Tags: y.Runners.Tags}, nil
	}
	return Document{}, fmt.Errorf("YAML without a runner config: expected gitlab-runner Helm values with runners.config, or a ConfigMap with data[%q]", ConfigMapKeys[0])
}

// LintDocument lints d, adding a finding for arch tags in the Helm values.
func LintDocument(d Document, p *policy.Policy) ([]Finding, error) {
	fs, err := Lint(d.TOML, p)
	if err != nil {
		return nil, err
	}
	if tags := archTags(d.Tags); len(tags) > 0 {
		fs = append([]Finding{{
			Runner: "runners.tags", Severity: SeverityWarning, Rule: RuleRunnerPerArch,
			Message: fmt.Sprintf("runners.tags %q names an arch (%v): the runner is registered for one arch", d.Tags, tags),
			Fix:     "register one runner for every arch without an arch tag; jobs name their arch with JOBFIT_ARCH",
		}}, fs...)
	}
	return fs, nil
}
