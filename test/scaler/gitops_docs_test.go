package scaler_test

import (
	"os"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const installDoc = "../../docs/install.md"

// gitOpsSnippets returns the YAML blocks of docs/install.md's section
// "GitOps: Argo CD and Flux", by kind, so that the tests apply what the
// documentation tells users to write, not a paraphrase of it.
func gitOpsSnippets(t *testing.T) map[string]map[string]any {
	t.Helper()
	raw, err := os.ReadFile(installDoc)
	require.NoError(t, err)
	_, section, found := strings.Cut(string(raw), "\n## GitOps: Argo CD and Flux\n")
	require.True(t, found, "%s has a section \"GitOps: Argo CD and Flux\"", installDoc)
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	out := map[string]map[string]any{}
	for i, block := range strings.Split(section, "```yaml\n")[1:] {
		body, _, closed := strings.Cut(block, "```")
		require.True(t, closed, "yaml block %d is closed", i)
		doc := map[string]any{}
		require.NoError(t, yaml.Unmarshal([]byte(body), &doc), "yaml block %d of the GitOps section", i)
		kind, _ := doc["kind"].(string)
		out[kind] = doc
	}
	return out
}

// fluxPatched applies the documented Flux Kustomization's JSON patch to the
// example NodePool manifest, as kustomize-controller would before applying.
func fluxPatched(t *testing.T, manifest *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	flux := gitOpsSnippets(t)["Kustomization"]
	require.NotNil(t, flux, "the GitOps section shows a Flux Kustomization")
	patches, _, err := unstructured.NestedSlice(flux, "spec", "patches")
	require.NoError(t, err)
	require.NotEmpty(t, patches)
	p := patches[0].(map[string]any)
	require.Equal(t, manifest.GetName(), p["target"].(map[string]any)["name"], "the snippet patches the example pool")
	ops, err := yaml.YAMLToJSON([]byte(p["patch"].(string)))
	require.NoError(t, err)
	patch, err := jsonpatch.DecodePatch(ops)
	require.NoError(t, err)
	js, err := manifest.MarshalJSON()
	require.NoError(t, err)
	patched, err := patch.Apply(js)
	require.NoError(t, err, "the documented patch applies to the shipped NodePool")
	u := &unstructured.Unstructured{}
	require.NoError(t, u.UnmarshalJSON(patched))
	return u
}

// TestGitOpsDocsArgoCD: the documented Argo CD Application ignores what
// the scaler's field manager owns on NodePools, and makes the sync send
// those fields' live values (which TestGitOpsCoexistence applies).
func TestGitOpsDocsArgoCD(t *testing.T) {
	app := gitOpsSnippets(t)["Application"]
	require.NotNil(t, app, "the GitOps section shows an Argo CD Application")
	ignores, _, err := unstructured.NestedSlice(app, "spec", "ignoreDifferences")
	require.NoError(t, err)
	require.Contains(t, ignores, map[string]any{"group": "karpenter.sh", "kind": "NodePool",
		"managedFieldsManagers": []any{v1alpha1.ScalerFieldManager}})
	opts, _, err := unstructured.NestedStringSlice(app, "spec", "syncPolicy", "syncOptions")
	require.NoError(t, err)
	require.Subset(t, opts, []string{"ServerSideApply=true", "RespectIgnoreDifferences=true"})
}
