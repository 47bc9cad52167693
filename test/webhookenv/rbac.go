package webhookenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ManifestsRoot is the repository's manifests directory; callers in other
// directories set it relative to their working directory.
var ManifestsRoot = "../../manifests"

// WebhookRBACFiles are the shipped files that give the webhook, with
// self-managed TLS, its permissions and their limits.
var WebhookRBACFiles = []string{
	"base/webhook/serviceaccount.yaml",
	"base/webhook/rbac.yaml",
	"default/rbac.yaml",
	"default/admissionpolicy.yaml",
}

// ServiceAccountUser is the username a ServiceAccount's token authenticates as.
func ServiceAccountUser(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// AsServiceAccount returns a copy of admin that impersonates a
// ServiceAccount, with the groups its token would carry. The API server
// then authorizes and admits every request as it would the real pod's.
func AsServiceAccount(admin *rest.Config, namespace, name string) *rest.Config {
	cfg := rest.CopyConfig(admin)
	cfg.Impersonate = rest.ImpersonationConfig{
		UserName: ServiceAccountUser(namespace, name),
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
	}
	return cfg
}

// ReadObjects decodes every document of a YAML file under ManifestsRoot.
func ReadObjects(file string) ([]*unstructured.Unstructured, error) {
	return ReadObjectsFile(filepath.Join(ManifestsRoot, file))
}

// ReadObjectsFile decodes every document of a YAML or JSON file at path.
func ReadObjectsFile(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("decoding %s: %w", path, err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// ApplyFiles server-side applies the objects of shipped manifest files
// (paths under ManifestsRoot) as they are, like kubectl apply --server-side.
func ApplyFiles(ctx context.Context, c client.Client, files ...string) error {
	for _, f := range files {
		objs, err := ReadObjects(f)
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
