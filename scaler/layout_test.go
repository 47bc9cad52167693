package scaler_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "jobfit.dev/jobfit/"

// planners are the pure sub-packages: they decide, and hold no client.
var planners = []string{"consolidation", "fallback", "headroom", "images", "limits", "pressure", "schedule", "signals", "volumes"}

// shared are the sub-packages the controllers share.
var shared = []string{"config", "metrics", "observe", "trigger"}

// TestLayout keeps the scaler's rooms apart: every sub-package is a
// planner, a shared piece or a controller under controllers/; a planner
// imports no controller-runtime and, of jobfit, only the API, the engine
// and other planners; a controller imports no other controller.
func TestLayout(t *testing.T) {
	dirs, err := os.ReadDir(".")
	require.NoError(t, err)
	for _, d := range dirs {
		if d.IsDir() && d.Name() != "controllers" && d.Name() != "testdata" {
			assert.True(t, slices.Contains(planners, d.Name()) || slices.Contains(shared, d.Name()),
				"scaler/%s is neither a planner nor a shared piece: add it to one list, or make it a controller under scaler/controllers", d.Name())
		}
	}
	for _, p := range planners {
		for _, imp := range imports(t, p) {
			assert.False(t, strings.HasPrefix(imp, "sigs.k8s.io/controller-runtime"), "planner scaler/%s imports %s: planners hold no client", p, imp)
			if rest, ok := strings.CutPrefix(imp, module+"scaler/"); ok {
				assert.Contains(t, planners, rest, "planner scaler/%s imports %s: planners import only other planners", p, imp)
			}
		}
	}
	controllers, err := os.ReadDir("controllers")
	require.NoError(t, err)
	require.NotEmpty(t, controllers)
	for _, c := range controllers {
		for _, imp := range imports(t, filepath.Join("controllers", c.Name())) {
			assert.False(t, strings.HasPrefix(imp, module+"scaler/controllers/"), "controller %s imports %s: controllers share through scaler/%v", c.Name(), imp, shared)
		}
	}
}

// imports lists what the non-test Go files of dir import.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range file.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			out = append(out, path)
		}
	}
	require.NotEmpty(t, files, "scaler/%s has no Go files", dir)
	return out
}
