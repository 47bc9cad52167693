package app

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const gravitonFirst = "../../../manifests/examples/policies/eks-karpenter-graviton-first.yaml"

// TestMutateImagePlatforms: `jobfit mutate --image-platforms` previews
// arch.fromImages with the shipped graviton-first policy, from a bare JSON
// document as well as from the ConfigMap, and names the image of a bad one.
func TestMutateImagePlatforms(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	both := `["linux/amd64", "linux/arm64/v8"]`
	pod := "../../../webhook/testdata/job-pod-v18.11.yaml" // runner tags say arm64: an explicit ask
	cases := []struct {
		name, platforms, want string
	}{
		{"all images have arm64", `{"node:20": ` + both + `, "postgres:16": ` + both + `}`, `arch\s+arm64\s+runner tags`},
		{"postgres amd64 only: the ask is kept, with a warning", `{"node:20": ` + both + `, "postgres:16": ["linux/amd64"]}`,
			`arm64 \(runner tags\): postgres:16`},
		{"the ConfigMap form", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: jobfit-image-platforms}\ndata:\n  platforms.json: '{\"node:20\": [\"linux/amd64\"], \"postgres:16\": [\"linux/amd64\"]}'\n",
			`although node:20, postgres:16 offer\(s\) no linux/arm64 image`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, runMutate(&MutateOptions{PolicyFile: gravitonFirst, PodFile: pod, ImagesFile: write("p.json", tc.platforms),
				Output: "explain", Out: &out}))
			assert.Regexp(t, tc.want, out.String())
		})
	}
	err := runMutate(&MutateOptions{PolicyFile: gravitonFirst, PodFile: pod, ImagesFile: write("bad.json", `{"node:20": ["arm64"]}`),
		Output: "explain", Out: &bytes.Buffer{}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `node:20[0]: "arm64" is not os/arch or os/arch/variant`)
}
