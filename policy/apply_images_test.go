package policy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy"
)

const fromImagesPolicy = karpenterPolicy + "arch: {preferred: [arm64, amd64], fromImages: true}\n"

// TestArchFromImages: a job that names no arch gets the first preferred
// arch all its images offer (helper images do not count); an ask or a pin
// is kept, reported when the images cannot run there.
func TestArchFromImages(t *testing.T) {
	p := mustLoad(fromImagesPolicy)
	off := mustLoad(karpenterPolicy + "arch: {preferred: [arm64, amd64]}\n")
	both := []string{"linux/amd64", "linux/arm64/v8"}
	all := policy.ImagePlatforms{"node:20": both, "postgres:16": both}
	amdDB := policy.ImagePlatforms{"node:20": both, "postgres:16": {"linux/amd64", "windows/arm64"}}
	const archKey = "kubernetes.io/arch"
	cases := []struct {
		name         string
		pod          *corev1.Pod
		p            *policy.Policy
		images       policy.ImagePlatforms
		wantArch     string
		wantSource   string
		wantConflict []string // images named by an ImageArchConflict
		wantLookups  policy.ImageLookups
		wantWarning  string
	}{
		{"all images offer arm64", jobPod().build(), p, all, "arm64",
			"images: node:20 amd64, arm64; postgres:16 amd64, arm64", nil, policy.ImageLookups{Hits: 2}, ""},
		{"one image amd64 only for linux", jobPod().build(), p, amdDB, "amd64",
			"images: node:20 amd64, arm64; postgres:16 amd64", nil, policy.ImageLookups{Hits: 2}, ""},
		{"an unknown image: default with a note", jobPod().build(), p, policy.ImagePlatforms{"node:20": both}, "amd64",
			"default", nil, policy.ImageLookups{Hits: 1, Misses: 1}, "platforms of postgres:16 not known yet"},
		{"no preferred arch runs every image", jobPod().build(), p,
			policy.ImagePlatforms{"node:20": {"linux/arm64"}, "postgres:16": {"linux/amd64"}}, "amd64",
			"default", nil, policy.ImageLookups{Hits: 2}, "no arch in arch.preferred runs every image"},
		{"explicit ask the images cannot run is kept", jobPod().env("JOBFIT_ARCH", "arm64").build(), p, amdDB, "arm64",
			"variable JOBFIT_ARCH", []string{"postgres:16"}, policy.ImageLookups{Hits: 2}, "arch arm64 kept (variable JOBFIT_ARCH) although postgres:16"},
		{"explicit ask the images can run", jobPod().env("JOBFIT_ARCH", "arm64").build(), p, all, "arm64",
			"variable JOBFIT_ARCH", nil, policy.ImageLookups{Hits: 2}, ""},
		{"runner pin the images cannot run is kept", jobPod().nodeSelector(archKey, "arm64").build(), p, amdDB, "arm64",
			"nodeSelector kubernetes.io/arch", []string{"postgres:16"}, policy.ImageLookups{Hits: 2}, "offer(s) no linux/arm64"},
		{"runner affinity allowing both: narrowed by the images", jobPod().requireNode(archKey, "amd64", "arm64").build(), p, all, "arm64",
			"images: node:20 amd64, arm64; postgres:16 amd64, arm64", nil, policy.ImageLookups{Hits: 2}, ""},
		{"fromImages off: the default", jobPod().build(), off, all, "amd64", "default", nil, policy.ImageLookups{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, dec := policy.ApplyInCluster(tc.pod, tc.p, policy.Cluster{Images: tc.images})
			d, ok := decision(dec, policy.MutArch)
			require.True(t, ok)
			assert.Equal(t, tc.wantArch, d.Value)
			assert.Equal(t, tc.wantSource, d.Source)
			assert.Equal(t, tc.wantLookups, dec.ImageLookups)
			var conflicted []string
			for _, c := range dec.ImageArchConflicts {
				assert.Equal(t, tc.wantArch, c.Arch)
				conflicted = append(conflicted, c.Images...)
			}
			assert.Equal(t, tc.wantConflict, conflicted)
			if tc.wantWarning != "" {
				assert.Condition(t, func() bool { return containsSub(dec.Warnings, tc.wantWarning) }, "warnings %q", dec.Warnings)
			}
			again, _ := policy.ApplyInCluster(out, tc.p, policy.Cluster{Images: tc.images})
			assert.Equal(t, podYAML(t, out), podYAML(t, again), "applying twice must equal applying once")
		})
	}
}

// TestArchFromImagesStaysOnReinvocation: the cache learning an image
// between two passes over one pod does not move it; a new pod of the same
// job (the runner re-creates it) gets the warm answer.
func TestArchFromImagesStaysOnReinvocation(t *testing.T) {
	p := mustLoad(fromImagesPolicy)
	both := []string{"linux/amd64", "linux/arm64"}
	cold, dec := policy.ApplyInCluster(jobPod().build(), p, policy.Cluster{Images: nil})
	assert.Equal(t, "amd64", cold.Spec.NodeSelector["kubernetes.io/arch"])
	assert.Equal(t, policy.ImageLookups{Misses: 2}, dec.ImageLookups)
	warm := policy.ImagePlatforms{"node:20": both, "postgres:16": both}
	again, _ := policy.ApplyInCluster(cold, p, policy.Cluster{Images: warm})
	assert.Equal(t, podYAML(t, cold), podYAML(t, again))
	fresh, _ := policy.ApplyInCluster(jobPod().build(), p, policy.Cluster{Images: warm})
	assert.Equal(t, "arm64", fresh.Spec.NodeSelector["kubernetes.io/arch"])
}

func TestParseImagePlatforms(t *testing.T) {
	ip, err := policy.ParseImagePlatforms([]byte(`{"maven:3.9": ["linux/amd64", "linux/arm64/v8"]}`))
	require.NoError(t, err)
	arches, ok := ip.Arches("maven:3.9", "linux")
	assert.True(t, ok)
	assert.Equal(t, []string{"amd64", "arm64"}, arches)
	_, ok = ip.Arches("maven:4", "linux")
	assert.False(t, ok)

	empty, err := policy.ParseImagePlatforms(nil)
	require.NoError(t, err)
	assert.Empty(t, empty)

	for name, tc := range map[string]struct{ doc, msg string }{
		"not an object":       {`["maven:3.9"]`, "want a JSON object"},
		"platform not a list": {`{"maven:3.9": "linux/amd64"}`, "want a JSON object"},
		"bad platform":        {`{"maven:3.9": ["amd64"]}`, `maven:3.9[0]: "amd64" is not os/arch`},
		"empty arch":          {`{"maven:3.9": ["linux/"]}`, "is not os/arch"},
		"bad reference":       {`{"maven 3.9": ["linux/amd64"]}`, "is not an image reference"},
		"two documents":       {`{} {}`, "more than one JSON document"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := policy.ParseImagePlatforms([]byte(tc.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func containsSub(list []string, sub string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, sub) })
}
