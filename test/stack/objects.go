package stack

import (
	"context"
	"fmt"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// ReadObjects decodes every document of a multi-document YAML file.
func ReadObjects(path string) ([]*unstructured.Unstructured, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var objs []*unstructured.Unstructured
	for i, doc := range strings.Split(string(raw), "\n---") {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			return nil, fmt.Errorf("decoding document %d of %s: %w", i, path, err)
		}
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
	}
	return objs, nil
}

// CreateObjects creates objs in order.
func CreateObjects(ctx context.Context, c client.Client, objs ...*unstructured.Unstructured) error {
	for _, obj := range objs {
		if err := c.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	return nil
}

// CreateFromFile creates every object of a multi-document YAML file.
func CreateFromFile(ctx context.Context, c client.Client, path string) error {
	objs, err := ReadObjects(path)
	if err != nil {
		return err
	}
	return CreateObjects(ctx, c, objs...)
}
