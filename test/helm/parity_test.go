package helm

import (
	"os"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/hack/stack"
)

// helmOnlyLabels are the labels the chart adds to what manifests/ sets:
// Helm's conventional ones, which say which release and chart made an
// object. Everything else must match.
var helmOnlyLabels = []string{
	"app.kubernetes.io/instance",
	"app.kubernetes.io/managed-by",
	"app.kubernetes.io/version",
	"helm.sh/chart",
}

// TestParity renders the chart and the kustomize overlay it mirrors and
// requires the same objects, by kind, namespace and name, each equal in
// every field (container args, image, ports, probes, RBAC rules, the
// webhook's rules, selectors, matchConditions, failurePolicy and timeout,
// Service ports, the PodDisruptionBudget, ...) apart from Helm's own
// labels.
func TestParity(t *testing.T) {
	cases := []struct {
		name      string
		kustomize string
		args      []string
		// notInChart are kustomize objects a default chart render leaves
		// out on purpose, each with its reason.
		notInChart map[string]string
	}{
		{
			name:      "defaults and manifests/default",
			kustomize: "default",
			notInChart: map[string]string{
				"Namespace /jobfit-system": "helm install --create-namespace makes it; namespace.create=true renders it (next case)",
			},
		},
		{
			name:      "namespace.create and manifests/default",
			kustomize: "default",
			args:      []string{"--set", "namespace.create=true"},
		},
		{
			name:      "tls.mode=cert-manager and manifests/cert-manager",
			kustomize: "cert-manager",
			// manifests/cert-manager has no NetworkPolicies (yet).
			args: []string{"--set", "tls.mode=cert-manager", "--set", "namespace.create=true", "--set", "networkPolicy.enabled=false"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := render(t, tc.args...)
			require.NoError(t, err)
			chartObjs, err := stack.DecodeObjects([]byte(out))
			require.NoError(t, err)
			requireSameObjects(t, byKey(t, kustomize(t, tc.kustomize)), byKey(t, chartObjs), tc.notInChart)
		})
	}
}

// TestPrometheusParity: the chart's PrometheusRule, ServiceMonitor and
// dashboard ConfigMap equal manifests/prometheus (whose PrometheusRule is
// generated from manifests/prometheus/rules.yaml), so the chart ships the
// same alerts, scrape configuration and dashboard.
func TestPrometheusParity(t *testing.T) {
	want := byKey(t, kustomize(t, "prometheus"))
	args := []string{"--set", "prometheusRule.enabled=true", "--set", "serviceMonitor.enabled=true",
		"--show-only", "templates/prometheus.yaml"}
	// The kustomize component gains the dashboard with the dashboard's
	// own change; from then on the chart's must equal it.
	if _, ok := want["ConfigMap jobfit-system/jobfit-grafana-dashboard"]; ok {
		args = append(args, "--set", "dashboard.enabled=true")
	}
	out, err := render(t, args...)
	require.NoError(t, err)
	chartObjs, err := stack.DecodeObjects([]byte(out))
	require.NoError(t, err)
	requireSameObjects(t, want, byKey(t, chartObjs), nil)
}

// TestBinpackSchedulerParity: binpackScheduler.enabled renders
// manifests/binpack-scheduler, its scheduler configuration (the chart's
// copy, files/binpack-scheduler.yaml) included.
func TestBinpackSchedulerParity(t *testing.T) {
	want := byKey(t, kustomize(t, "binpack-scheduler"))
	out, err := render(t, "--set", "binpackScheduler.enabled=true", "--show-only", "templates/binpack-scheduler.yaml")
	require.NoError(t, err)
	chartObjs, err := stack.DecodeObjects([]byte(out))
	require.NoError(t, err)
	requireSameObjects(t, want, byKey(t, chartObjs), nil)
}

// TestRulesCopy: the chart's rules (files/rules.yaml, which templates
// cannot read from outside the chart) are the groups of
// manifests/prometheus/rules.yaml, the file promtool tests.
func TestRulesCopy(t *testing.T) {
	out, err := render(t, "--set", "prometheusRule.enabled=true", "--show-only", "templates/prometheus.yaml")
	require.NoError(t, err)
	objs, err := stack.DecodeObjects([]byte(out))
	require.NoError(t, err)
	require.Len(t, objs, 1)
	got, ok, err := unstructured.NestedSlice(objs[0].Object, "spec", "groups")
	require.NoError(t, err)
	require.True(t, ok, "the PrometheusRule has spec.groups")

	b, err := os.ReadFile("../../manifests/prometheus/rules.yaml")
	require.NoError(t, err)
	var rules struct {
		Groups []any `json:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(b, &rules))
	require.NotEmpty(t, rules.Groups)
	assert.Equal(t, toYAML(t, rules.Groups), toYAML(t, got),
		"copy manifests/prometheus/rules.yaml to manifests/helm/jobfit/files/rules.yaml (make update-helm-golden)")

	// Comments too: they explain each alert to whoever reads the rule.
	copied, err := os.ReadFile(chartDir + "/files/rules.yaml")
	require.NoError(t, err)
	assert.Equal(t, string(b), string(copied), "make update-helm-golden copies the rules file into the chart")
}

// requireSameObjects requires the same keys on both sides, less
// notInChart, and each pair equal once Helm's own labels are removed.
func requireSameObjects(t *testing.T, want, got map[string]*unstructured.Unstructured, notInChart map[string]string) {
	t.Helper()
	for k := range notInChart {
		require.Contains(t, want, k, "notInChart names an object the kustomize render lacks")
		delete(want, k)
	}
	require.Equal(t, sortedKeys(want), sortedKeys(got), "objects by kind, namespace/name")
	for k, w := range want {
		g := got[k].DeepCopy()
		stripLabels(t, g)
		assert.Equal(t, toYAML(t, w.Object), toYAML(t, g.Object), "%s differs from the kustomize render", k)
	}
}

// stripLabels removes Helm's own labels, and the labels field when
// nothing is left.
func stripLabels(t *testing.T, o *unstructured.Unstructured) {
	t.Helper()
	labels := o.GetLabels()
	for _, l := range helmOnlyLabels {
		_, ok := labels[l]
		require.True(t, ok, "%s lacks the label %s", key(o), l)
		delete(labels, l)
	}
	o.SetLabels(labels)
}

func sortedKeys(m map[string]*unstructured.Unstructured) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// toYAML prints v with sorted keys, for readable diffs.
func toYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
