package helm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goldenCase is one value set the chart is rendered and linted with.
type goldenCase struct {
	name string
	// args are passed to helm template and helm lint after the chart.
	args []string
}

// goldenCases are the value sets of the golden files: every file under
// testdata/golden must belong to one, so that a removed case leaves no
// stale golden behind.
var goldenCases = []goldenCase{
	{name: "defaults"},
	{name: "cert-manager-no-scaler", args: []string{"-f", "testdata/values/cert-manager-no-scaler.yaml"}},
	{name: "everything-on", args: []string{
		"-f", "testdata/values/everything-on.yaml",
		// The shipped example policies, as docs/install.md installs them.
		"--set-file", "policy=../../manifests/examples/policies/eks-karpenter.yaml",
		"--set-file", "scalerPolicy=../../manifests/examples/policies/scaler.yaml",
	}},
}

func goldenPath(name string) string {
	return filepath.Join("testdata", "golden", name+".yaml")
}

// TestGolden renders each value set and compares it with its golden file;
// -update rewrites them.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := render(t, tc.args...)
			require.NoError(t, err)
			if *update {
				require.NoError(t, os.WriteFile(goldenPath(tc.name), []byte(got), 0o644))
			}
			want, err := os.ReadFile(goldenPath(tc.name))
			require.NoError(t, err, "run go test ./test/helm -update to create it")
			if string(want) != got {
				diff, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
					A: difflib.SplitLines(string(want)), B: difflib.SplitLines(got),
					FromFile: goldenPath(tc.name), ToFile: "helm template", Context: 3,
				})
				require.NoError(t, err)
				t.Errorf("stale golden %s: run make update-helm-golden and review the diff\n%s", goldenPath(tc.name), diff)
			}
		})
	}
}

// TestNoOrphanGoldens fails on a golden file that no case renders.
func TestNoOrphanGoldens(t *testing.T) {
	names := map[string]bool{}
	for _, tc := range goldenCases {
		names[tc.name] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		assert.True(t, names[strings.TrimSuffix(filepath.Base(f), ".yaml")], "%s belongs to no case in goldenCases", f)
	}
}

// TestLintStrict runs helm lint --strict with each value set: warnings
// fail too.
func TestLintStrict(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runHelm(t, append([]string{"lint", "--strict", chartDir, "-n", releaseNamespace}, tc.args...)...)
			require.NoError(t, err, out)
			assert.Contains(t, out, "1 chart(s) linted, 0 chart(s) failed")
		})
	}
}
