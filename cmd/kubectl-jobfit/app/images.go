package app

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// imagePlatforms reads the live image-platform cache; a missing one knows
// no image.
func imagePlatforms(ctx context.Context, c client.Client, jobfitNS string) (policy.ImagePlatforms, error) {
	cm := &corev1.ConfigMap{}
	err := c.Get(ctx, client.ObjectKey{Namespace: jobfitNS, Name: v1alpha1.ImagePlatformsName}, cm)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s/%s: %w", jobfitNS, v1alpha1.ImagePlatformsName, err)
	}
	ip, err := policy.ParseImagePlatforms([]byte(cm.Data[v1alpha1.ImagePlatformsKey]))
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", jobfitNS, v1alpha1.ImagePlatformsName, err)
	}
	return ip, nil
}

// imagesNote is the live cache's view of the pod's job images, for a
// policy with arch.fromImages: "image platforms now: node:20 amd64, arm64;
// postgres:16 not known yet".
func imagesNote(pod *corev1.Pod, p *policy.Policy, ip policy.ImagePlatforms) string {
	var parts []string
	for _, img := range policy.JobImages(pod) {
		arches, ok := ip.Arches(img, p.Arch.OS)
		switch {
		case !ok:
			parts = append(parts, img+" not known yet")
		case len(arches) == 0:
			parts = append(parts, img+" none for "+p.Arch.OS)
		default:
			parts = append(parts, img+" "+strings.Join(arches, ", "))
		}
	}
	return "image platforms now (" + v1alpha1.ImagePlatformsName + "): " + strings.Join(parts, "; ")
}
