package app

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"jobfit.dev/jobfit/cmd/jobfit/runnerlint"
	"jobfit.dev/jobfit/policy"
)

// RunnerLintOptions are the arguments of `jobfit runner lint`.
type RunnerLintOptions struct {
	File       string
	PolicyFile string
	Output     string
	Strict     bool
	In         io.Reader
	Out        io.Writer
}

// LintReport is what `jobfit runner lint -o json` prints.
type LintReport struct {
	File     string               `json:"file"`
	Source   string               `json:"source,omitempty"`
	Policy   string               `json:"policy,omitempty"`
	Findings []runnerlint.Finding `json:"findings"`
	Errors   int                  `json:"errors"`
	Warnings int                  `json:"warnings"`
}

func newRunnerCommand(run func(*RunnerLintOptions) error) *cobra.Command {
	cmd := &cobra.Command{Use: "runner", Short: "Work with GitLab Runner configuration"}
	o := &RunnerLintOptions{}
	lint := &cobra.Command{
		Use:   "lint [--policy FILE] [-o text|json] FILE|-",
		Short: "Report the settings of a runner config.toml that defeat or duplicate jobfit, with the line and the fix",
		Long: `Lint a GitLab Runner config.toml, the gitlab-runner Helm chart's values (runners.config),
or the chart's ConfigMap (data["config.template.toml"]). Line numbers are those of the TOML.

With --policy (a Policy document or its ConfigMap) the checks that depend on the
policy run too: tolerations it adds, job resource variables, pod_labels for the
traits it reads from labels, and the Docker socket on platforms without Docker.

Exit status: 0 when no finding is an error (and, with --strict, no warning
either), 1 otherwise, 2 when the file cannot be read.`,
		Example: `  jobfit runner lint --policy manifests/examples/policies/eks-karpenter.yaml /etc/gitlab-runner/config.toml
  kubectl get configmap -n gitlab-runner gitlab-runner -o yaml | jobfit runner lint -o json -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File, o.In, o.Out = args[0], cmd.InOrStdin(), cmd.OutOrStdout()
			if o.Output != "text" && o.Output != "json" {
				return fmt.Errorf("--output %q: must be text or json", o.Output)
			}
			return run(o)
		},
	}
	f := lint.Flags()
	f.StringVar(&o.PolicyFile, "policy", "", "policy file: a Policy document or a ConfigMap carrying one (optional)")
	f.StringVarP(&o.Output, "output", "o", "text", "output format: text or json")
	f.BoolVar(&o.Strict, "strict", false, "exit 1 on warnings too")
	cmd.AddCommand(lint)
	return cmd
}

func runRunnerLint(o *RunnerLintOptions) error {
	var p *policy.Policy
	if o.PolicyFile != "" {
		var err error
		if p, err = loadPolicyFile(o.PolicyFile); err != nil {
			return err
		}
	}
	raw, err := readInput(o.File, o.In)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	d, err := runnerlint.Extract(raw)
	if err != nil {
		return &exitError{code: 2, msg: o.File + ": " + err.Error()}
	}
	fs, err := runnerlint.LintDocument(d, p)
	if err != nil {
		return &exitError{code: 2, msg: o.File + ": " + err.Error()}
	}
	r := LintReport{File: o.File, Source: d.Source, Findings: fs, Errors: runnerlint.Errors(fs)}
	r.Warnings = len(fs) - r.Errors
	if p != nil {
		r.Policy = p.Name()
	}
	if err := writeLintReport(o.Out, o.Output, &r); err != nil {
		return err
	}
	if r.Errors > 0 || (o.Strict && r.Warnings > 0) {
		return &exitError{code: 1, msg: fmt.Sprintf("%s: %d errors, %d warnings", o.File, r.Errors, r.Warnings)}
	}
	return nil
}

func writeLintReport(w io.Writer, output string, r *LintReport) error {
	if output == "json" {
		if r.Findings == nil {
			r.Findings = []runnerlint.Finding{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	runnerlint.WriteText(w, r.File, r.Source, r.Findings)
	return nil
}
