package stack

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Kustomize renders a kustomization under the manifests directory (for
// example "default") as `kubectl kustomize` does: kubectl 1.35 uses this version of
// the kustomize API. Numbers come back as float64, as from any JSON decode,
// so the objects compare equal with other renders (helm template).
func (m Manifests) Kustomize(dir string) ([]*unstructured.Unstructured, error) {
	path, err := m.Path(dir)
	if err != nil {
		return nil, err
	}
	opts := krusty.MakeDefaultOptions()
	// kustomize's legacy order, as `kubectl apply -k` applies: Namespaces,
	// then RBAC and the rest, so creating in order works.
	opts.Reorder = krusty.ReorderOptionLegacy
	res, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), path)
	if err != nil {
		return nil, fmt.Errorf("kustomize build manifests/%s: %w", dir, err)
	}
	objs := make([]*unstructured.Unstructured, 0, len(res.Resources()))
	for _, r := range res.Resources() {
		m, err := r.Map()
		if err != nil {
			return nil, fmt.Errorf("manifests/%s: %s: %w", dir, r.CurId(), err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		obj := map[string]any{}
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, err
		}
		objs = append(objs, &unstructured.Unstructured{Object: obj})
	}
	return objs, nil
}
