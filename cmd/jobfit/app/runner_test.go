package app

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/cmd/jobfit/runnerlint"
)

const (
	eksGuideConfig = "../runnerlint/testdata/eks-guide-config.toml"
	shippedConfig  = "../../../manifests/examples/gitlab-runner/config.toml"
)

func TestRunnerLintFlags(t *testing.T) {
	var got *RunnerLintOptions
	cmd := newRunnerCommand(func(o *RunnerLintOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"lint", "--policy", "p.yaml", "-o", "json", "--strict", "config.toml"})
	cmd.SetOut(&bytes.Buffer{})
	require.NoError(t, cmd.Execute())
	assert.Equal(t, RunnerLintOptions{File: "config.toml", PolicyFile: "p.yaml", Output: "json", Strict: true}, RunnerLintOptions{
		File: got.File, PolicyFile: got.PolicyFile, Output: got.Output, Strict: got.Strict})

	got = nil
	cmd = newRunnerCommand(func(o *RunnerLintOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"lint", "-o", "yaml", "config.toml"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	require.ErrorContains(t, cmd.Execute(), `--output "yaml"`)
	assert.Nil(t, got)
}

func TestRunnerLintExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name   string
		o      RunnerLintOptions
		code   int
		output string
	}{
		{"EKS guide config: errors", RunnerLintOptions{File: eksGuideConfig, PolicyFile: examplePolicy, Output: "text"}, 1, "eks-guide-config.toml:22: error: [arch-pin] eks-amd64-spot"},
		{"shipped config: clean", RunnerLintOptions{File: shippedConfig, PolicyFile: examplePolicy, Output: "text"}, 0, "0 errors, 0 warnings"},
		{"warnings only pass", RunnerLintOptions{File: "testdata/warnings-only.toml", Output: "text"}, 0, "[os-pin]"},
		{"warnings fail with --strict", RunnerLintOptions{File: "testdata/warnings-only.toml", Output: "text", Strict: true}, 1, "[os-pin]"},
		{"unreadable file", RunnerLintOptions{File: "testdata/missing.toml", Output: "text"}, 2, ""},
		{"not a runner config", RunnerLintOptions{File: examplePod, Output: "text"}, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			tc.o.Out = &out
			err := runRunnerLint(&tc.o)
			if tc.code == 0 {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Equal(t, tc.code, ExitCode(err), err.Error())
			}
			assert.Contains(t, out.String(), tc.output)
		})
	}
}

func TestRunnerLintJSONFromStdin(t *testing.T) {
	raw, err := os.ReadFile(eksGuideConfig)
	require.NoError(t, err)
	var out bytes.Buffer
	err = runRunnerLint(&RunnerLintOptions{File: "-", PolicyFile: examplePolicy, Output: "json", In: bytes.NewReader(raw), Out: &out})
	require.Error(t, err)
	var r LintReport
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	assert.Equal(t, "eks-karpenter", r.Policy)
	assert.Equal(t, 7, r.Errors)
	assert.Equal(t, len(r.Findings)-7, r.Warnings)
	assert.Equal(t, runnerlint.Finding{Line: 24, Runner: "eks-amd64-spot", Severity: runnerlint.SeverityError, Rule: runnerlint.RuleCapacityPin,
		Message: r.Findings[6].Message, Fix: r.Findings[6].Fix}, r.Findings[6])
}
