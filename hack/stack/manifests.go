package stack

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// modulePath is jobfit's module, whose manifests directory is the default.
const modulePath = "jobfit.dev/jobfit"

// repoManifests finds the main module's manifests directory once per
// process: go list is slow next to the rest of a test's set-up.
var repoManifests = sync.OnceValues(func() (string, error) {
	root, err := ModuleDir(modulePath)
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "manifests"), nil
})

// Manifests is a manifests directory holding the shipped files the
// harness installs jobfit from (never test copies). Its zero value is the
// repository's own manifests/, found with go list whatever the working
// directory: tests run in their package's directory, the tools in the
// repository's root.
type Manifests struct {
	// Dir is the manifests directory; empty is the repository's.
	Dir string
}

// Path returns the path of elem under the manifests directory.
func (m Manifests) Path(elem ...string) (string, error) {
	dir := m.Dir
	if dir == "" {
		var err error
		if dir, err = repoManifests(); err != nil {
			return "", err
		}
	}
	return filepath.Join(append([]string{dir}, elem...)...), nil
}

// WebhookRBACFiles are the shipped files that give the webhook, with
// self-managed TLS, its permissions and their limits, relative to the
// manifests directory.
func WebhookRBACFiles() []string {
	return []string{
		"base/webhook/serviceaccount.yaml",
		"base/webhook/rbac.yaml",
		"default/rbac.yaml",
		"default/admissionpolicy.yaml",
	}
}

// ReadObjects decodes every document of a YAML file under the manifests
// directory.
func (m Manifests) ReadObjects(file string) ([]*unstructured.Unstructured, error) {
	path, err := m.Path(file)
	if err != nil {
		return nil, err
	}
	return ReadObjects(path)
}

// ApplyFiles server-side applies the objects of shipped manifest files
// (paths under the manifests directory) as they are, like kubectl apply
// --server-side.
func (m Manifests) ApplyFiles(ctx context.Context, c client.Client, files ...string) error {
	for _, f := range files {
		objs, err := m.ReadObjects(f)
		if err != nil {
			return err
		}
		for _, u := range objs {
			if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("kubectl"), client.ForceOwnership); err != nil {
				return fmt.Errorf("applying %s %s from %s: %w", u.GetKind(), u.GetName(), f, err)
			}
		}
	}
	return nil
}
