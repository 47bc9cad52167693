package integration

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
)

// examplePod is the job pod the README's recipes use.
const examplePod = "../../manifests/examples/pods/gitlab-runner-18.11-arm64-job.yaml"

// dryRunShippedPod follows the README's recipe
//
//	kubectl create -n gitlab-runner -f job-pod.yaml --dry-run=server -o yaml
//
// with the shipped example pod. Like kubectl, it turns the YAML into JSON
// without the Pod's Go types and lets the API server decode it, so a value
// YAML reads as a number (an unquoted 0000… sha) is refused here as it is
// by kubectl, and jobfit's own decoder (policy.DecodePod) must agree.
func dryRunShippedPod(ctx context.Context, t *testing.T, c client.Client) {
	raw, err := os.ReadFile(examplePod)
	require.NoError(t, err)

	got := createRawDryRun(ctx, t, c, raw)
	require.NoError(t, got.err, "the shipped example pod is accepted by the API server")
	pod := &corev1.Pod{}
	require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(got.obj.Object, pod))
	assert.True(t, mutated(pod), "the dry run shows jobfit's mutation")
	assert.Equal(t, "arm64", pod.Spec.NodeSelector[corev1.LabelArchStable])
	_, err = policy.DecodePod(raw)
	require.NoError(t, err, "jobfit mutate accepts what the API server accepts")

	// The same pod with the sha unquoted, as it once shipped.
	bad := []byte(strings.Replace(string(raw), `before_sha: "0000000000000000000000000000000000000000"`,
		"before_sha: 0000000000000000000000000000000000000000", 1))
	require.NotEqual(t, raw, bad)
	got = createRawDryRun(ctx, t, c, bad)
	require.Error(t, got.err, "the API server refuses a numeric annotation")
	assert.True(t, apierrors.IsBadRequest(got.err), "%v", got.err)
	_, err = policy.DecodePod(bad)
	require.Error(t, err, "jobfit mutate refuses what the API server refuses")
	assert.Contains(t, err.Error(), "metadata.annotations")
}

type rawResult struct {
	obj *unstructured.Unstructured
	err error
}

// createRawDryRun sends the manifest as kubectl does: YAML turned into JSON
// untyped, so numbers stay numbers.
func createRawDryRun(ctx context.Context, t *testing.T, c client.Client, manifest []byte) rawResult {
	t.Helper()
	js, err := yaml.YAMLToJSON(manifest)
	require.NoError(t, err)
	obj := &unstructured.Unstructured{}
	require.NoError(t, obj.UnmarshalJSON(js))
	obj.SetNamespace(runners)
	err = c.Create(ctx, obj, client.DryRunAll)
	return rawResult{obj: obj, err: err}
}
