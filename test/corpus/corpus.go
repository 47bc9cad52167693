// Package corpus reads the golden test corpus under policy/testdata: job
// pods as GitLab Runner creates them, each optionally with its own Policy
// and capacity-status ConfigMap in the same multi-document file. The policy
// golden tests and the webhook's patch tests share it.
package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/policy/yamldoc"
)

// Case is one <case>.yaml: a job pod and, optionally, its own policy,
// capacity status and image platforms.
type Case struct {
	Pod    *corev1.Pod
	Policy *policy.Policy
	Status v1alpha1.CapacityStatus
	// Images is the jobfit-image-platforms ConfigMap's document, if the
	// case has one.
	Images policy.ImagePlatforms
}

// Read reads the case at path. Any document other than a Pod, a Policy,
// the capacity-status or the image-platforms ConfigMap fails the test, as does a case without a
// Pod.
func Read(t testing.TB, path string) Case {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var tc Case
	docs, err := yamldoc.Split(raw)
	require.NoError(t, err)
	for _, doc := range docs {
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct{ Name string }
			Data     map[string]string `json:"data"`
		}
		require.NoError(t, yaml.Unmarshal(doc, &meta))
		switch meta.Kind {
		case "":
			continue
		case "Pod":
			tc.Pod, err = policy.DecodePod(doc)
			require.NoError(t, err, "pod in %s must decode as the API server decodes it", path)
		case v1alpha1.KindPolicy:
			p, errs := policy.Load(doc)
			require.Empty(t, errs, "policy in %s", path)
			tc.Policy = p
		case "ConfigMap":
			if meta.Metadata.Name == v1alpha1.ImagePlatformsName {
				tc.Images, err = policy.ParseImagePlatforms([]byte(meta.Data[v1alpha1.ImagePlatformsKey]))
				require.NoError(t, err)
				continue
			}
			require.Equal(t, v1alpha1.CapacityStatusName, meta.Metadata.Name)
			tc.Status, err = v1alpha1.ParseCapacityStatus([]byte(meta.Data[v1alpha1.CapacityStatusKey]))
			require.NoError(t, err)
		default:
			t.Fatalf("%s: unexpected document kind %q", path, meta.Kind)
		}
	}
	require.NotNil(t, tc.Pod, "%s has no Pod document", path)
	return tc
}

// LoadPolicy loads a policy file, failing the test on any field error.
func LoadPolicy(t testing.TB, path string) *policy.Policy {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	p, errs := policy.Load(raw)
	require.Empty(t, errs, "%s", path)
	return p
}

// Inputs returns the golden cases' input files in dir (for example
// "policy/testdata"): every *.yaml except the goldens (*.golden.yaml) and
// the shared policies (*-policy.yaml). It fails the test when a golden has
// no input beside it, so a renamed or deleted case cannot leave a stale
// golden behind.
func Inputs(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(t, err)
	var inputs []string
	have := map[string]bool{}
	for _, f := range files {
		if !strings.HasSuffix(f, ".golden.yaml") && !strings.HasSuffix(f, "-policy.yaml") {
			inputs = append(inputs, f)
			have[f] = true
		}
	}
	for _, f := range files {
		if in, ok := strings.CutSuffix(f, ".golden.yaml"); ok {
			require.True(t, have[in+".yaml"], "%s has no input %s.yaml: delete the stale golden", f, in)
		}
	}
	require.NotEmpty(t, inputs, "no golden inputs in %s", dir)
	return inputs
}
