package kubectl_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/cmd/jobfit/runnerlint"
	"jobfit.dev/jobfit/cmd/kubectl-jobfit/app"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/controllers/volumes"
	"jobfit.dev/jobfit/scaler/metrics"
)

// testBlockedByVolume: a job pod whose cache claim does not exist, reported
// by the scaler's volumes controller, is listed by kubectl jobfit status.
func testBlockedByVolume(ctx context.Context, t *testing.T, cl *cluster) {
	pod := examplePod(t, runners, "runner-zx8kqw2nv-project-4711-concurrent-0-nocache1", nil)
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: "nas-cache",
		VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "nas-cache"}}})
	require.NoError(t, cl.c.Create(ctx, pod))

	cs, err := kubernetes.NewForConfig(cl.cfg)
	require.NoError(t, err)
	b := events.NewBroadcaster(&events.EventSinkImpl{Interface: cs.EventsV1()})
	require.NoError(t, b.StartRecordingToSinkWithContext(ctx))
	t.Cleanup(b.Shutdown)
	c := volumes.NewController(cl.c, b.NewRecorder(scheme.Scheme, v1alpha1.ScalerFieldManager), metrics.New(prometheus.NewRegistry()), time.Minute)
	_, err = c.Reconcile(ctx, reconcile.Request{})
	require.NoError(t, err)

	var s app.Status
	require.Eventually(t, func() bool {
		s = app.Status{}
		require.NoError(t, yaml.Unmarshal([]byte(kubectlJobfit(t, cl, "status", "-o", "yaml")), &s))
		return len(s.BlockedByVolume) > 0
	}, timeout, poll, "status lists the pod once the scaler's Event is written")
	require.Len(t, s.BlockedByVolume, 1)
	assert.Equal(t, runners, s.BlockedByVolume[0].Namespace)
	assert.Equal(t, pod.Name, s.BlockedByVolume[0].Pod)
	assert.Contains(t, s.BlockedByVolume[0].Message, "PersistentVolumeClaim nas-cache does not exist")
	assert.Contains(t, kubectlJobfit(t, cl, "status"), "JOB POD WAITING FOR A VOLUME")

	require.NoError(t, cl.c.Delete(ctx, pod))
	s = app.Status{}
	require.NoError(t, yaml.Unmarshal([]byte(kubectlJobfit(t, cl, "status", "-o", "yaml")), &s))
	assert.Empty(t, s.BlockedByVolume, "a deleted pod is no longer listed")
}

// testDoctor: kubectl jobfit doctor lints the runner ConfigMaps of a
// namespace under the policy in force there: the shipped runner passes,
// one written as AWS's EKS guide writes it does not.
func testDoctor(ctx context.Context, t *testing.T, cl *cluster) {
	shipped, err := os.ReadFile("../../manifests/examples/gitlab-runner/values.yaml")
	require.NoError(t, err)
	d, err := runnerlint.Extract(shipped)
	require.NoError(t, err)
	guide, err := os.ReadFile("../../cmd/jobfit/runnerlint/testdata/eks-guide-config.toml")
	require.NoError(t, err)
	for name, cfg := range map[string]string{"gitlab-runner": string(d.TOML), "old-runner": string(guide)} {
		require.NoError(t, cl.c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: runners, Name: name},
			Data: map[string]string{"config.template.toml": cfg, "entrypoint": "#!/bin/bash\n"}}))
	}

	doc, err := app.GetDoctor(ctx, cl.c, jobfitNS, runners, "")
	require.NoError(t, err)
	assert.True(t, doc.Injected)
	assert.Equal(t, shippedClusterPolicy(t).Name(), doc.Policy)
	require.Len(t, doc.Runners, 2)
	assert.Equal(t, "gitlab-runner", doc.Runners[0].ConfigMap)
	assert.Empty(t, doc.Runners[0].Findings, "the shipped runner passes")
	assert.Equal(t, "old-runner", doc.Runners[1].ConfigMap)
	assert.Equal(t, 7, runnerlint.Errors(doc.Runners[1].Findings))

	var out, errOut bytes.Buffer
	cmd := app.NewCommand(genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut})
	cmd.SetArgs([]string{"--kubeconfig", cl.kubeconfig, "-n", runners, "doctor", "--configmap", "old-runner"})
	require.ErrorContains(t, cmd.ExecuteContext(ctx), "7 runner settings defeat jobfit")
	assert.Contains(t, out.String(), "configmap/old-runner data[config.template.toml]:22: error: [arch-pin] eks-amd64-spot")

	doc, err = app.GetDoctor(ctx, cl.c, jobfitNS, plain, "")
	require.NoError(t, err)
	assert.False(t, doc.Injected)
	assert.Contains(t, doc.Problems, "namespace plain is not labelled jobfit.dev/inject=enabled: the webhook does not see its job pods")
}
