package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodePod(t *testing.T) {
	const head = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: runner-abc\n"
	cases := []struct {
		name    string
		in      string
		wantErr string // "" means it decodes
	}{
		{"quoted sha annotation", head + "  annotations:\n    job.runner.gitlab.com/before_sha: \"0000\"\n", ""},
		{"JSON", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}`, ""},
		{"unquoted zero sha is a number", head + "  annotations:\n    job.runner.gitlab.com/before_sha: 0000\n", "metadata.annotations"},
		{"boolean label", head + "  labels:\n    pod: true\n", "metadata.labels"},
		{"numeric env value", head + "spec:\n  containers:\n  - name: build\n    env:\n    - name: COUNT\n      value: 3\n", "env.value"},
		{"unknown field", head + "spec:\n  nodeSelectors: {}\n", `unknown field "spec.nodeSelectors"`},
		{"duplicate JSON field", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","name":"y"}}`, `duplicate field "metadata.name"`},
		{"field names are case-sensitive", head + "spec:\n  NodeName: n1\n", `unknown field "spec.NodeName"`},
		{"not a pod", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n", "want v1 Pod"},
		{"not YAML", "a: [", "not YAML"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pod, err := DecodePod([]byte(tc.in))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Nil(t, pod)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "Pod", pod.Kind)
		})
	}
}
