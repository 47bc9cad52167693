package app

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy"
)

// TestImagesNote: explain shows the live cache's view of each job image,
// the helper left out.
func TestImagesNote(t *testing.T) {
	p, errs := policy.Load([]byte("apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nmetadata: {name: t}\narch: {fromImages: true, preferred: [arm64, amd64]}\n"))
	require.Empty(t, errs)
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "build", Image: "node:20"}, {Name: "helper", Image: "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v18.11.4"},
		{Name: "db", Image: "postgres:16"}, {Name: "svc-1", Image: "mcr.microsoft.com/windows/servercore:ltsc2022"},
	}}}
	ip := policy.ImagePlatforms{"node:20": {"linux/arm64/v8", "linux/amd64"}, "mcr.microsoft.com/windows/servercore:ltsc2022": {"windows/amd64"}}
	assert.Equal(t, "image platforms now (jobfit-image-platforms): node:20 amd64, arm64; postgres:16 not known yet; "+
		"mcr.microsoft.com/windows/servercore:ltsc2022 none for linux", imagesNote(pod, p, ip))
}
