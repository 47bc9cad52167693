package app

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	examplePolicy = "../../../manifests/examples/policies/eks-karpenter.yaml"
	examplePod    = "../../../manifests/examples/pods/gitlab-runner-18.11-arm64-job.yaml"
)

func TestMutateFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
		want    MutateOptions
	}{
		{"defaults", []string{"--policy", "p.yaml"}, "", MutateOptions{PolicyFile: "p.yaml", PodFile: "-", Output: "yaml"}},
		{"all flags", []string{"--policy", "p.yaml", "-f", "pod.yaml", "-o", "patch", "--capacity-status", "s.yaml"}, "",
			MutateOptions{PolicyFile: "p.yaml", PodFile: "pod.yaml", Output: "patch", StatusFile: "s.yaml"}},
		{"namespace", []string{"--policy", "p.yaml", "-n", "ci"}, "", MutateOptions{PolicyFile: "p.yaml", PodFile: "-", Output: "yaml", Namespace: "ci"}},
		{"policy required", []string{"-f", "pod.yaml"}, "--policy is required", MutateOptions{}},
		{"bad output", []string{"--policy", "p.yaml", "-o", "table"}, `--output "table"`, MutateOptions{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got *MutateOptions
			cmd := newMutateCommand(func(o *MutateOptions) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Nil(t, got, "run must not be called with bad flags")
				return
			}
			require.NoError(t, err)
			got.In, got.Out = nil, nil
			assert.Equal(t, tc.want, *got)
		})
	}
}

func TestMutateOutputs(t *testing.T) {
	for _, format := range outputs {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			err := runMutate(&MutateOptions{PolicyFile: examplePolicy, PodFile: examplePod, Output: format, Out: &out})
			require.NoError(t, err)
			s := out.String()
			switch format {
			case "yaml":
				assert.Contains(t, s, "kubernetes.io/arch: arm64")
				assert.Contains(t, s, "gitlab-runner-helper:arm64-v18.11.4")
			case "json":
				var v map[string]any
				require.NoError(t, json.Unmarshal(out.Bytes(), &v))
			case "patch":
				var ops []map[string]any
				require.NoError(t, json.Unmarshal(out.Bytes(), &ops))
				assert.Contains(t, s, `"/metadata/annotations/karpenter.sh~1do-not-disrupt"`, "keys are escaped by the patch library")
			case "explain":
				assert.Contains(t, s, "runner tags")
				assert.Contains(t, s, "do-not-disrupt")
			}
		})
	}
}

func TestMutateReadsStdinAndExplainsSkips(t *testing.T) {
	var out bytes.Buffer
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  containers: [{name: build, image: nginx}]\n"
	err := runMutate(&MutateOptions{PolicyFile: examplePolicy, PodFile: "-", Output: "explain", In: strings.NewReader(pod), Out: &out})
	require.NoError(t, err)
	assert.Contains(t, out.String(), "skipped: no GitLab Runner job markers")
}

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nplatform: gke\nresources: {max: {cpu: eight}}\n"), 0o600))

	var out bytes.Buffer
	err := runValidate(&ValidateOptions{Files: []string{examplePolicy, bad}, Out: &out})
	require.Error(t, err)
	assert.Equal(t, 1, ExitCode(err))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	assert.Contains(t, lines, examplePolicy+": ok (Policy eks-karpenter)")
	assert.Contains(t, out.String(), bad+`: platform: Unsupported value: "gke"`)
	assert.Contains(t, out.String(), bad+`: resources.max[cpu]: Invalid value: "eight"`)

	out.Reset()
	require.NoError(t, runValidate(&ValidateOptions{Files: []string{examplePolicy}, Out: &out}))
}

// TestValidateLeadingSeparator: a file that opens with "---" and a comment
// before its first document holds one document, not an empty one that
// fails as kind "".
func TestValidateLeadingSeparator(t *testing.T) {
	shipped, err := os.ReadFile(examplePolicy)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, os.WriteFile(file, append([]byte("---\n# the EKS example\n---\n"), shipped...), 0o600))
	var out bytes.Buffer
	require.NoError(t, runValidate(&ValidateOptions{Files: []string{file}, Out: &out}), out.String())
	assert.Equal(t, file+": ok (Policy eks-karpenter)\n", out.String())
}

// TestShippedExamplesAreValid keeps every example policy under manifests/
// valid: a broken example fails the tests.
func TestShippedExamplesAreValid(t *testing.T) {
	files, err := filepath.Glob("../../../manifests/examples/policies/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 3)
	var out bytes.Buffer
	require.NoError(t, runValidate(&ValidateOptions{Files: files, Out: &out}), out.String())
}

// TestMutateExplainsRunnerPinConflict: a pod from a runner whose
// node_selector pins spot, with JOBFIT_CAPACITY_TYPE=on-demand, keeps spot,
// and the explanation says why and warns.
func TestMutateExplainsRunnerPinConflict(t *testing.T) {
	var out bytes.Buffer
	err := runMutate(&MutateOptions{PolicyFile: examplePolicy, PodFile: "../../../policy/testdata/v18-runner-pin-spot-conflict.yaml", Output: "explain", Out: &out})
	require.NoError(t, err)
	s := out.String()
	assert.Regexp(t, `capacity\s+spot\s+nodeSelector karpenter.sh/capacity-type\s+false`, s)
	assert.Contains(t, s, "runner pins that differ from what the job or the fallback wanted:\n"+
		"  capacity-type: nodeSelector karpenter.sh/capacity-type=spot; variable JOBFIT_CAPACITY_TYPE wanted on-demand: runner's value kept")
	assert.Contains(t, s, "warnings:\n  - runner pin nodeSelector karpenter.sh/capacity-type=spot kept; variable JOBFIT_CAPACITY_TYPE wanted on-demand")
}

// TestMutateExplainsTolerations: each toleration the shipped policy adds is
// listed with the policy field it came from.
func TestMutateExplainsTolerations(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, runMutate(&MutateOptions{PolicyFile: examplePolicy, PodFile: examplePod, Output: "explain", Out: &out}))
	assert.Regexp(t, `toleration\s+ci.example.com/runner=true:NoSchedule\s+scheduling.tolerations\[0\]\s+true`, out.String())
}

// TestMutateNamespace: --namespace fills in a pod without one, as the
// request's namespace does in the webhook, and may not contradict the
// pod's own.
func TestMutateNamespace(t *testing.T) {
	tests := []struct {
		name, namespace, wantErr, want string
	}{
		{name: "pod's own namespace", want: "pod gitlab-runner/"},
		{name: "same namespace", namespace: "gitlab-runner", want: "pod gitlab-runner/"},
		{name: "different namespace", namespace: "ci", wantErr: `--namespace "ci": the pod's metadata.namespace is "gitlab-runner"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runMutate(&MutateOptions{PolicyFile: examplePolicy, PodFile: examplePod, Namespace: tt.namespace, Output: "explain", Out: &out})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Contains(t, out.String(), tt.want)
		})
	}
}
