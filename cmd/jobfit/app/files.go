package app

import (
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// loadPolicyFile loads a Policy (bare or in a ConfigMap); problems are
// reported as FILE: field: message lines.
func loadPolicyFile(path string) (*policy.Policy, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	p, errs := policy.Load(raw)
	if len(errs) > 0 {
		return nil, &exitError{code: 1, msg: formatFieldErrors(path, errs)}
	}
	return p, nil
}

func loadStatusFile(path string) (v1alpha1.CapacityStatus, error) {
	if path == "" {
		return v1alpha1.CapacityStatus{}, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return v1alpha1.CapacityStatus{}, fmt.Errorf("reading capacity status: %w", err)
	}
	var cm corev1.ConfigMap
	if err := yaml.Unmarshal(raw, &cm); err == nil && cm.Kind == "ConfigMap" {
		raw = []byte(cm.Data[v1alpha1.CapacityStatusKey])
	}
	s, err := v1alpha1.ParseCapacityStatus(raw)
	if err != nil {
		return v1alpha1.CapacityStatus{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// loadImagesFile reads `--image-platforms`: the ImagePlatforms JSON, or
// the jobfit-image-platforms ConfigMap that carries it.
func loadImagesFile(path string) (policy.ImagePlatforms, error) {
	if path == "" {
		return nil, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading image platforms: %w", err)
	}
	var cm corev1.ConfigMap
	if err := yaml.Unmarshal(raw, &cm); err == nil && cm.Kind == "ConfigMap" {
		raw = []byte(cm.Data[v1alpha1.ImagePlatformsKey])
	}
	ip, err := policy.ParseImagePlatforms(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ip, nil
}

// formatFieldErrors renders one "FILE: field.path: message" line per error.
func formatFieldErrors(file string, errs field.ErrorList) string {
	lines := make([]string, 0, len(errs))
	for _, e := range errs {
		if e.Field == "" || e.Field == "<nil>" {
			lines = append(lines, file+": "+e.ErrorBody())
			continue
		}
		lines = append(lines, file+": "+e.Field+": "+e.ErrorBody())
	}
	return strings.Join(lines, "\n")
}
