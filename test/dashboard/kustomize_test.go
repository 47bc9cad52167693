package dashboard

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// TestShippedInPrometheusComponent renders manifests/prometheus with
// kustomize, as kubectl apply -k does, and checks that it carries the
// dashboard file unchanged in a ConfigMap Grafana's sidecar picks up.
func TestShippedInPrometheusComponent(t *testing.T) {
	want, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), "../../manifests/prometheus")
	require.NoError(t, err)
	var found bool
	for _, r := range resources.Resources() {
		if r.GetKind() != "ConfigMap" || r.GetName() != "jobfit-grafana-dashboard" {
			continue
		}
		found = true
		assert.Equal(t, "jobfit-system", r.GetNamespace())
		assert.Equal(t, "1", r.GetLabels()["grafana_dashboard"], "the label Grafana's dashboard sidecar selects")
		assert.Equal(t, string(want), r.GetDataMap()["jobfit.json"])
	}
	assert.True(t, found, "manifests/prometheus renders a ConfigMap named jobfit-grafana-dashboard (no name suffix hash)")
}
