package runnerlint_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"jobfit.dev/jobfit/cmd/jobfit/runnerlint"
	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/test/corpus"
)

const (
	examplePolicy = "../../../manifests/examples/policies/eks-karpenter.yaml"
	shippedConfig = "../../../manifests/examples/gitlab-runner/config.toml"
	shippedValues = "../../../manifests/examples/gitlab-runner/values.yaml"
)

type at struct {
	Line int
	Rule string
}

func lint(t *testing.T, src []byte, p *policy.Policy) []runnerlint.Finding {
	t.Helper()
	fs, err := runnerlint.Lint(src, p)
	require.NoError(t, err)
	for _, f := range fs {
		assert.NotEmpty(t, f.Message)
		assert.NotEmpty(t, f.Fix, "every finding says how to fix it: %+v", f)
		assert.NotEmpty(t, f.Runner)
	}
	return fs
}

func rulesAt(fs []runnerlint.Finding) []at {
	out := make([]at, len(fs))
	for i, f := range fs {
		out[i] = at{f.Line, f.Rule}
	}
	return out
}

// TestEKSGuideConfig: every pin of a config.toml written as AWS's EKS
// guides write it is flagged, on its line.
func TestEKSGuideConfig(t *testing.T) {
	src, err := os.ReadFile("testdata/eks-guide-config.toml")
	require.NoError(t, err)
	p := corpus.LoadPolicy(t, examplePolicy)
	fs := lint(t, src, p)
	assert.Equal(t, []at{
		// pod_labels is absent: the finding is on [runners.kubernetes].
		{12, runnerlint.RulePodLabels},
		{15, runnerlint.RuleHelperImage},
		{19, runnerlint.RuleOverwriteMax},
		{20, runnerlint.RuleOverwriteMax},
		{22, runnerlint.RuleArchPin},
		{23, runnerlint.RuleOSPin},
		{24, runnerlint.RuleCapacityPin},
		{26, runnerlint.RuleTolerations},
		{30, runnerlint.RuleDockerSocket},
		{32, runnerlint.RuleRunnerPerArch},
		{37, runnerlint.RulePodLabels},
		{40, runnerlint.RuleHelperImage},
		{42, runnerlint.RuleArchPin},
		{43, runnerlint.RuleOSPin},
		{44, runnerlint.RuleCapacityPin},
		{46, runnerlint.RuleTolerations},
		{49, runnerlint.RulePausePods},
	}, rulesAt(fs))
	assert.Equal(t, 7, runnerlint.Errors(fs))
}

// TestWithoutPolicy: the checks that need a policy are skipped; the pins
// are still flagged.
func TestWithoutPolicy(t *testing.T) {
	src, err := os.ReadFile("testdata/eks-guide-config.toml")
	require.NoError(t, err)
	fs := lint(t, src, nil)
	rules := map[string]int{}
	for _, f := range fs {
		rules[f.Rule]++
	}
	assert.Equal(t, map[string]int{
		runnerlint.RuleHelperImage: 2, runnerlint.RuleArchPin: 2, runnerlint.RuleOSPin: 2, runnerlint.RuleCapacityPin: 2,
		runnerlint.RuleRunnerPerArch: 1, runnerlint.RulePausePods: 1,
	}, rules)
}

func TestRules(t *testing.T) {
	karpenter := corpus.LoadPolicy(t, examplePolicy)
	generic := loadPolicy(t, "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nplatform: generic\n")
	dockerOn := loadPolicy(t, "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nplatform: karpenter\ndockerSocket: true\n")
	const labels = `
    [runners.kubernetes.pod_labels]
      "jobfit.dev/arch" = "$JOBFIT_ARCH"
      "jobfit.dev/capacity-type" = "$JOBFIT_CAPACITY_TYPE"
      "jobfit.dev/size" = "$JOBFIT_SIZE"
`
	dind := "[[runners]]\n  executor = \"kubernetes\"\n  [runners.kubernetes]\n    privileged = %s\n" +
		"    [[runners.kubernetes.volumes.host_path]]\n      name = \"docker\"\n      mount_path = \"/var/run/docker.sock\"\n      host_path = \"/var/run/docker.sock/\"\n" + labels
	for _, tc := range []struct {
		name   string
		src    string
		policy *policy.Policy
		want   []runnerlint.Finding
	}{
		{"docker socket, privileged, no Docker on karpenter", fmtS(dind, "true"), karpenter,
			[]runnerlint.Finding{{Line: 8, Rule: runnerlint.RuleDockerSocket, Severity: runnerlint.SeverityError}}},
		{"docker socket, unprivileged", fmtS(dind, "false"), karpenter,
			[]runnerlint.Finding{{Line: 8, Rule: runnerlint.RuleDockerSocket, Severity: runnerlint.SeverityWarning}}},
		{"docker socket on a generic cluster", fmtS(dind, "true"), generic, nil},
		{"docker socket where the policy says the nodes run Docker", fmtS(dind, "true"), dockerOn, nil},
		{"inline node_selector table", "[[runners]]\n  name = \"a\"\n  [runners.kubernetes]\n    node_selector = { \"karpenter.sh/capacity-type\" = \"on-demand\" }\n" + labels, karpenter,
			[]runnerlint.Finding{{Line: 4, Rule: runnerlint.RuleCapacityPin, Severity: runnerlint.SeverityError}}},
		{"custom helper image", "[[runners]]\n  name = \"a\"\n  [runners.kubernetes]\n    helper_image = \"registry.example.com/helper:v1\"\n" + labels, karpenter,
			[]runnerlint.Finding{{Line: 4, Rule: runnerlint.RuleHelperImage, Severity: runnerlint.SeverityWarning}}},
		{"a toleration the policy does not add is kept", "[[runners]]\n  name = \"a\"\n  [runners.kubernetes]\n    [runners.kubernetes.node_tolerations]\n      \"gpu=true\" = \"NoSchedule\"\n" + labels, karpenter, nil},
		{"another executor is not linted", "[[runners]]\n  name = \"shell\"\n  executor = \"shell\"\n", karpenter, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := lint(t, []byte(tc.src), tc.policy)
			for i := range fs {
				fs[i] = runnerlint.Finding{Line: fs[i].Line, Rule: fs[i].Rule, Severity: fs[i].Severity}
			}
			assert.Equal(t, tc.want, fs)
		})
	}
}

func TestNotARunnerConfig(t *testing.T) {
	_, err := runnerlint.Lint([]byte("[[runners]]\n  name = \"a\n"), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "parsing TOML")
	_, err = runnerlint.Lint([]byte("concurrent = 4\n"), nil)
	require.ErrorContains(t, err, "no [[runners]] entry")
	_, err = runnerlint.Extract([]byte("apiVersion: v1\nkind: ConfigMap\ndata: {other: x}\n"))
	require.ErrorContains(t, err, "config.template.toml")
	_, err = runnerlint.Extract([]byte("image: {tag: v1}\n"))
	require.ErrorContains(t, err, "runners.config")
}

func TestExtractHelmValuesTags(t *testing.T) {
	d, err := runnerlint.Extract([]byte("runners:\n  tags: \"arm64, kubernetes\"\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = \"ci\"\n"))
	require.NoError(t, err)
	assert.Equal(t, "runners.config", d.Source)
	fs, err := runnerlint.LintDocument(d, nil)
	require.NoError(t, err)
	require.NotEmpty(t, fs)
	assert.Equal(t, runnerlint.RuleRunnerPerArch, fs[0].Rule)
	assert.Contains(t, fs[0].Message, "arm64")
}

func loadPolicy(t *testing.T, doc string) *policy.Policy {
	t.Helper()
	p, errs := policy.Load([]byte(doc))
	require.Empty(t, errs)
	return p
}

func fmtS(format, arg string) string { return fmt.Sprintf(format, arg) }
