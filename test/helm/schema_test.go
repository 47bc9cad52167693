package helm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"jobfit.dev/jobfit/hack/stack"
)

// TestBadValues: values.schema.json and the templates' own checks reject
// bad values, in helm template and helm lint alike, with a message that
// names the value.
func TestBadValues(t *testing.T) {
	cases := []struct {
		name   string
		values string
		// want is part of the error message: the value's path.
		want string
		// template marks the checks the templates make (fail), beyond the
		// schema: helm lint reports those as [INFO] without failing, by
		// design, so only helm template and install stop on them.
		template bool
	}{
		{"replicas not a number", "webhook: {replicas: two}", "/webhook/replicas", false},
		{"zero replicas", "webhook: {replicas: 0}", "/webhook/replicas", false},
		{"GOGC not a percentage", "webhook: {gogc: lots}", "/webhook/gogc", false},
		{"GOMEMLIMIT not a size", "webhook: {gomemlimit: 200M}", "/webhook/gomemlimit", false},
		{"headroom namespace not a name", "scaler: {headroomNamespace: Headroom_Pods}", "/scaler/headroomNamespace", false},
		{"no peer may call the webhook", "networkPolicy: {webhookFrom: []}", "/networkPolicy/webhookFrom", false},
		{"unknown TLS mode", "tls: {mode: vault}", "/tls/mode", false},
		{"misspelt top-level key", "webhok: {replicas: 3}", "webhok", false},
		{"misspelt nested key", "scaler: {enable: false}", "enable", false},
		{"scaler switch not a boolean", "scaler: {enabled: \"no\"}", "/scaler/enabled", false},
		{"bad memory quantity", "webhook: {resources: {limits: {memory: lots}}}", "/webhook/resources/limits/memory", false},
		{"short digest", "image: {digest: \"sha256:abc\"}", "/image/digest", false},
		{"tag with a colon", "image: {tag: \"v1:2\"}", "/image/tag", false},
		{"repository with a tag", "image: {repository: \"ghcr.io/jobfit-dev/jobfit:v1\"}", "/image/repository", false},
		{"pull secret not a name", "image: {pullSecrets: [{name: regcred}]}", "/image/pullSecrets/0", false},
		{"node selector value not a string", "nodeSelector: {spot: true}", "/nodeSelector/spot", false},
		{"scrape interval not a duration", "serviceMonitor: {interval: 30 seconds}", "/serviceMonitor/interval", false},
		{"existing policy not a name", "existingPolicy: My_Policy", "/existingPolicy", false},
		{"both policies", "policy: |\n  apiVersion: jobfit.dev/v1alpha1\n  kind: Policy\nexistingPolicy: mine", "policy and existingPolicy: set one, not both", true},
		{"both scaler policies", "scalerPolicy: |\n  apiVersion: jobfit.dev/v1alpha1\n  kind: ScalerPolicy\nexistingScalerPolicy: mine", "scalerPolicy and existingScalerPolicy: set one, not both", true},
		{"scaler policy without the scaler", "scaler: {enabled: false}\nexistingScalerPolicy: mine", "scalerPolicy and existingScalerPolicy need scaler.enabled=true", true},
		{"policy of the wrong kind", "policy: |\n  apiVersion: jobfit.dev/v1alpha1\n  kind: ScalerPolicy", `policy: kind must be Policy (or a ConfigMap carrying one), got "ScalerPolicy"`, true},
		{"policy of the wrong apiVersion", "policy: |\n  apiVersion: jobfit.dev/v1\n  kind: Policy", `policy: apiVersion must be jobfit.dev/v1alpha1, got "jobfit.dev/v1"`, true},
		{"policy not YAML", "policy: \"kind: [Policy\"", "policy: not valid YAML", true},
		{"policy ConfigMap without the document", "policy: |\n  apiVersion: v1\n  kind: ConfigMap\n  data: {other.yaml: x}", `policy: the ConfigMap has no data["policy.yaml"]`, true},
		{"scaler policy of the wrong kind", "scalerPolicy: |\n  apiVersion: jobfit.dev/v1alpha1\n  kind: Policy", `scalerPolicy: kind must be ScalerPolicy`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "values.yaml")
			require.NoError(t, os.WriteFile(file, []byte(tc.values+"\n"), 0o644))

			_, err := render(t, "-f", file)
			require.Error(t, err, "helm template accepted %q", tc.values)
			assert.Contains(t, err.Error(), tc.want)

			stdout, stderr, err := helmCommand(t, "lint", "--strict", chartDir, "-n", releaseNamespace, "-f", file)
			if tc.template {
				assert.Contains(t, stderr, "[INFO] Fail: "+tc.want)
				return
			}
			require.Error(t, err, "helm lint accepted %q", tc.values)
			assert.Contains(t, stdout, tc.want)
		})
	}
}

// TestPolicyForms: the cluster policy may be given as the shipped
// ConfigMap (what --set-file policy=manifests/examples/... passes) or as
// the bare Policy document in it; both render the same ConfigMap, with
// the document byte for byte.
func TestPolicyForms(t *testing.T) {
	configMap := "../../manifests/examples/policies/eks-karpenter.yaml"
	shipped := readObject(t, configMap)
	doc, ok, err := unstructured.NestedString(shipped.Object, "data", "policy.yaml")
	require.NoError(t, err)
	require.True(t, ok)
	bare := filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, os.WriteFile(bare, []byte(doc), 0o644))

	for name, file := range map[string]string{"ConfigMap": configMap, "bare Policy": bare} {
		t.Run(name, func(t *testing.T) {
			out, err := render(t, "--set-file", "policy="+file, "--show-only", "templates/policies.yaml")
			require.NoError(t, err)
			objs, err := stack.DecodeObjects([]byte(out))
			require.NoError(t, err)
			require.Len(t, objs, 1)
			cm := objs[0]
			assert.Equal(t, "jobfit-cluster-policy", cm.GetName())
			assert.Equal(t, releaseNamespace, cm.GetNamespace())
			assert.Equal(t, "cluster", cm.GetLabels()["jobfit.dev/policy"])
			got, _, err := unstructured.NestedString(cm.Object, "data", "policy.yaml")
			require.NoError(t, err)
			assert.Equal(t, doc, got)
		})
	}
}
