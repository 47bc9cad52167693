package integration

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const (
	timeout = 30 * time.Second
	poll    = 100 * time.Millisecond
)

// startWithRunners starts a kube-apiserver, installs the webhook objects
// for a replica on a free port and the opted-in runner namespace, and
// returns the API server's config, an admin client and the port.
func startWithRunners(ctx context.Context, t *testing.T) (*rest.Config, client.Client, int) {
	t.Helper()
	cfg := startAPIServer(t)
	c, err := client.New(cfg, client.Options{})
	require.NoError(t, err)
	port := freePort(t)
	require.NoError(t, stack.Manifests{}.Install(ctx, c, hostIP, port))
	require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: runners, Labels: map[string]string{v1alpha1.InjectLabel: v1alpha1.InjectEnabled}}}))
	return cfg, c, port
}

// jobPod returns GitLab Runner 18.11's job pod for an arm64-tagged runner,
// named name, in namespace.
func jobPod(t *testing.T, namespace, name string) *corev1.Pod {
	t.Helper()
	pod := readPod(t, "job-pod-v18.11.yaml")
	pod.Namespace, pod.Name = namespace, name
	return pod
}

// pausePod returns a GitLab Runner 18.10+ pause pod in namespace.
func pausePod(t *testing.T, namespace string) *corev1.Pod {
	t.Helper()
	pod := readPod(t, "runner-pause-pod.yaml")
	pod.Namespace, pod.OwnerReferences = namespace, nil
	return pod
}

func readPod(t *testing.T, file string) *corev1.Pod {
	t.Helper()
	b, err := os.ReadFile("../../webhook/testdata/" + file)
	require.NoError(t, err)
	pod, err := policy.DecodePod(b)
	require.NoError(t, err)
	return pod
}

// withoutBuildRequests drops the build container's requests, as for a
// runner with no cpu_request or memory_request configured, and the job's
// KUBERNETES_* resource variables (which the shipped policy honours):
// policy defaults only fill gaps.
func withoutBuildRequests(pod *corev1.Pod) *corev1.Pod {
	build := &pod.Spec.Containers[0]
	build.Resources = corev1.ResourceRequirements{}
	build.Env = slices.DeleteFunc(build.Env, func(e corev1.EnvVar) bool {
		return slices.Contains(policy.JobResourceVariables(), e.Name)
	})
	return pod
}

// createDryRun creates pod with server-side dry run and returns what the API
// server would have stored: jobfit's patch included, nothing persisted.
func createDryRun(ctx context.Context, t *testing.T, c client.Client, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	pod = pod.DeepCopy()
	require.NoError(t, c.Create(ctx, pod, client.DryRunAll))
	return pod
}

func mutated(pod *corev1.Pod) bool {
	_, ok := pod.Annotations[v1alpha1.AppliedAnnotation]
	return ok
}

// applyConfigMap creates or replaces the data of a ConfigMap.
func applyConfigMap(ctx context.Context, t *testing.T, c client.Client, namespace, name string, labels, data map[string]string) {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: labels}, Data: data}
	err := c.Create(ctx, cm)
	if apierrors.IsAlreadyExists(err) {
		existing := &corev1.ConfigMap{}
		require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(cm), existing))
		existing.Labels, existing.Data = labels, data
		err = c.Update(ctx, existing)
	}
	require.NoError(t, err)
}

// clusterPolicy returns the example EKS + Karpenter cluster policy
// document, with edit applied to its text.
func clusterPolicy(t *testing.T, old, replacement string) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../manifests/examples/policies/eks-karpenter.yaml")
	require.NoError(t, err)
	cm := &corev1.ConfigMap{}
	require.NoError(t, yaml.Unmarshal(b, cm))
	doc := cm.Data[v1alpha1.PolicyDataKey]
	if old != "" {
		require.Contains(t, doc, old)
		doc = strings.Replace(doc, old, replacement, 1)
	}
	return map[string]string{v1alpha1.PolicyDataKey: doc}
}

// eventFor returns the message of the newest event with reason about the
// ConfigMap, or "".
func eventFor(ctx context.Context, t *testing.T, c client.Client, namespace, name, reason string) string {
	t.Helper()
	list := &corev1.EventList{}
	require.NoError(t, c.List(ctx, list, client.InNamespace(namespace)))
	msg := ""
	var newest time.Time
	for _, e := range list.Items {
		at := e.EventTime.Time
		if at.IsZero() {
			at = e.LastTimestamp.Time
		}
		if e.InvolvedObject.Kind == "ConfigMap" && e.InvolvedObject.Name == name && e.Reason == reason && !at.Before(newest) {
			msg, newest = e.Message, at
		}
	}
	return msg
}

// pemToDER returns the first certificate of a PEM bundle.
func pemToDER(t *testing.T, b []byte) []byte {
	t.Helper()
	block, _ := pem.Decode(b)
	require.NotNil(t, block)
	_, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	return block.Bytes
}
