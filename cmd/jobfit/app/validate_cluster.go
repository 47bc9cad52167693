package app

import (
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/cmd/internal/explain"
)

// newLiveReferences reads the cluster of the kubeconfig, with schedulers'
// Leases in jobfit's default namespace.
func newLiveReferences() (explain.LiveReferences, error) {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return explain.LiveReferences{}, fmt.Errorf("loading kubeconfig for --cluster: %w", err)
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return explain.LiveReferences{}, fmt.Errorf("connecting to the cluster: %w", err)
	}
	return explain.NewLiveReferences(c, defaultNamespace), nil
}
