package corpus

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/yamldoc"
)

// TestEveryPodDecodesAsTheAPIServerDoes checks every pod the project ships
// or tests with, inputs and golden outputs alike: each must decode strictly
// from untyped JSON, as the API server decodes what kubectl sends. A value
// YAML reads as a number or a boolean where Kubernetes wants a string fails
// here before a user's `kubectl create` does.
func TestEveryPodDecodesAsTheAPIServerDoes(t *testing.T) {
	var files []string
	for _, pattern := range []string{
		"../../manifests/examples/pods/*.yaml",
		"../../webhook/testdata/*.yaml",
		"../../policy/testdata/*.yaml",
	} {
		m, err := filepath.Glob(pattern)
		require.NoError(t, err)
		require.NotEmpty(t, m, pattern)
		files = append(files, m...)
	}
	pods := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		docs, err := yamldoc.Split(raw)
		require.NoError(t, err, file)
		for _, doc := range docs {
			var meta struct{ Kind string }
			require.NoError(t, yaml.Unmarshal(doc, &meta), file)
			if meta.Kind != "Pod" {
				continue
			}
			_, err = policy.DecodePod(doc)
			require.NoError(t, err, file)
			pods++
		}
	}
	require.Greater(t, pods, 50, "the corpus was found")
}
