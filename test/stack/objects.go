package stack

import (
	"context"
	"fmt"

	"jobfit.dev/jobfit/test/webhookenv"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ReadObjects decodes every document of a multi-document YAML file.
func ReadObjects(path string) ([]*unstructured.Unstructured, error) {
	return webhookenv.ReadObjectsFile(path)
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
