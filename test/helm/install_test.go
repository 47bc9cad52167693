package helm

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const (
	timeout = 60 * time.Second
	poll    = 200 * time.Millisecond
	// runners is the runner namespace, opted in.
	runners = "gitlab-runner"
	// examplePolicy is the shipped policy docs/install.md installs.
	examplePolicy = "../../manifests/examples/policies/eks-karpenter.yaml"
	// examplePod is a job pod as GitLab Runner 18.11 sends it, from a runner
	// tagged arm64.
	examplePod = "../../manifests/examples/pods/gitlab-runner-18.11-arm64-job.yaml"
)

// cluster is a kube-apiserver and etcd of the test's own.
type cluster struct {
	env    *envtest.Environment
	cfg    *rest.Config
	c      client.Client
	hostIP string
}

// startCluster starts envtest, or skips without KUBEBUILDER_ASSETS (make
// test sets it from hack/build-control-plane.sh).
func startCluster(t *testing.T) *cluster {
	t.Helper()
	if why := stack.NoAssets(); why != "" {
		t.Skip(why)
	}
	hostIP, err := stack.NonLoopbackIPv4()
	if err != nil {
		t.Skip(err)
	}
	env := stack.Environment()
	cfg, err := env.Start()
	require.NoError(t, err, "starting envtest")
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{})
	require.NoError(t, err)
	return &cluster{env: env, cfg: cfg, c: c, hostIP: hostIP}
}

// replica runs one in-process webhook replica, wired as `jobfit webhook
// --tls-mode=self-managed` is, on port, as the cluster admin; stop stops it
// and waits.
func (cl *cluster) replica(t *testing.T, port int) (stop func()) {
	t.Helper()
	return cl.replicaAs(t, cl.cfg, port)
}

// replicaAs runs a replica whose requests use cfg.
func (cl *cluster) replicaAs(t *testing.T, cfg *rest.Config, port int) (stop func()) {
	t.Helper()
	mgr, err := stack.NewManager(cfg, stack.Replica{
		Port: port, CertDir: filepath.Join(t.TempDir(), "serving-certs"), MetricsAddr: "0", ProbeAddr: "0",
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err, "the replica stopped with an error")
		case <-time.After(30 * time.Second):
			t.Error("the replica did not stop within 30s")
		}
	}
	t.Cleanup(stop)
	return stop
}

// optIn creates the runner namespace with jobfit's opt-in label.
func (cl *cluster) optIn(ctx context.Context, t *testing.T) {
	t.Helper()
	require.NoError(t, cl.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: runners, Labels: map[string]string{v1alpha1.InjectLabel: v1alpha1.InjectEnabled},
	}}))
}

// jobPod returns the shipped example job pod in the runner namespace,
// named name.
func jobPod(t *testing.T, name string) *corev1.Pod {
	t.Helper()
	b, err := os.ReadFile(examplePod)
	require.NoError(t, err)
	pod := &corev1.Pod{}
	require.NoError(t, yaml.UnmarshalStrict(b, pod))
	pod.Namespace, pod.Name, pod.GenerateName = runners, name, ""
	return pod
}

// requireMutated waits until a dry-run create of the job pod comes back
// mutated by jobfit as the example policy says, then creates it for real
// and checks the stored pod.
func (cl *cluster) requireMutated(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	require.Eventually(t, func() bool {
		pod := jobPod(t, name)
		if err := cl.c.Create(ctx, pod, client.DryRunAll); err != nil {
			return false
		}
		_, ok := pod.Annotations[v1alpha1.AppliedAnnotation]
		return ok
	}, timeout, poll, "the webhook mutates job pods once its certificate is in place and the policy is loaded")

	pod := jobPod(t, name)
	require.NoError(t, cl.c.Create(ctx, pod))
	assert.Contains(t, pod.Annotations[v1alpha1.AppliedAnnotation], "eks-karpenter", "the record names the chart's policy")
	assert.Equal(t, "arm64", pod.Spec.NodeSelector["kubernetes.io/arch"], "arch from the runner's tags")
	assert.Equal(t, "spot", pod.Spec.NodeSelector["karpenter.sh/capacity-type"])
	assert.Equal(t, "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:arm64-v18.11.4", pod.Spec.Containers[1].Image,
		"the helper image follows the arch")
}

// caBundle returns the caBundle of the MutatingWebhookConfiguration jobfit.
func (cl *cluster) caBundle(ctx context.Context, t *testing.T) []byte {
	t.Helper()
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
	require.NoError(t, cl.c.Get(ctx, client.ObjectKey{Name: "jobfit"}, mwc))
	require.Len(t, mwc.Webhooks, 1)
	return mwc.Webhooks[0].ClientConfig.CABundle
}

// TestInstallRendered installs the objects `helm template` renders with the
// shipped example policy into a real kube-apiserver, runs the webhook
// in-process in place of the Deployment's pods, as the chart's ServiceAccount
// jobfit-webhook (so the chart's RBAC and ValidatingAdmissionPolicies
// decide what it may do), and creates a job pod: jobfit's patch is on the
// stored pod.
func TestInstallRendered(t *testing.T) {
	cl := startCluster(t)
	ctx := context.Background()
	out, err := render(t, "--set-file", "policy="+examplePolicy)
	require.NoError(t, err)
	objs, err := stack.DecodeObjects([]byte(out))
	require.NoError(t, err)

	// helm install --create-namespace creates the namespace first.
	install := []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: releaseNamespace}}}
	for _, o := range objs {
		install = append(install, o)
	}
	port, err := stack.FreePort()
	require.NoError(t, err)
	require.NoError(t, stack.InstallObjects(ctx, cl.c, install, cl.hostIP, port))
	cl.optIn(ctx, t)
	cl.replicaAs(t, stack.AsServiceAccount(cl.cfg, releaseNamespace, "jobfit-webhook"), port)

	cl.requireMutated(ctx, t, "runner-zx8kqw2nv-project-4711-concurrent-0-helm0001")
	assert.NotEmpty(t, cl.caBundle(ctx, t), "jobfit wrote the caBundle into the chart's webhook configuration")
	secret := &corev1.Secret{}
	require.NoError(t, cl.c.Get(ctx, client.ObjectKey{Namespace: releaseNamespace, Name: "jobfit-webhook-tls"}, secret))
	assert.NotEmpty(t, secret.Data["tls.crt"], "jobfit filled the chart's empty Secret")
}

// TestHelmUpgradeKeepsCABundle installs the chart with helm itself into a
// real kube-apiserver, lets jobfit write the caBundle, then runs helm
// upgrade with a change to the webhook configuration while no replica is
// running (so nothing could write the caBundle back): the live caBundle
// survives, a job pod is created unmutated rather than blocked while jobfit
// is away, and mutated again once a replica is back.
func TestHelmUpgradeKeepsCABundle(t *testing.T) {
	cl := startCluster(t)
	ctx := context.Background()
	kubeconfig := cl.kubeconfig(t)
	chart := []string{releaseName, chartDir, "-n", releaseNamespace, "--kubeconfig", kubeconfig}

	_, err := runHelm(t, append(append([]string{"install"}, chart...), "--create-namespace", "--set-file", "policy="+examplePolicy)...)
	require.NoError(t, err)
	svc := &corev1.Service{}
	require.NoError(t, cl.c.Get(ctx, client.ObjectKey{Namespace: releaseNamespace, Name: stack.ServiceName}, svc))
	port, err := stack.FreePort()
	require.NoError(t, err)
	require.NoError(t, stack.PointService(ctx, cl.c, svc, cl.hostIP, port))
	cl.optIn(ctx, t)
	stop := cl.replica(t, port)
	cl.requireMutated(ctx, t, "runner-zx8kqw2nv-project-4711-concurrent-0-upgr0001")
	before := cl.caBundle(ctx, t)
	require.NotEmpty(t, before)
	stop()

	_, err = runHelm(t, append(append([]string{"upgrade"}, chart...), "--reuse-values", "--set", "commonLabels.upgraded=yes")...)
	require.NoError(t, err)
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{}
	require.NoError(t, cl.c.Get(ctx, client.ObjectKey{Name: "jobfit"}, mwc))
	require.Equal(t, "yes", mwc.Labels["upgraded"], "helm upgrade patched the webhook configuration")
	assert.Equal(t, before, cl.caBundle(ctx, t), "helm upgrade left the live caBundle alone")

	pod := jobPod(t, "runner-zx8kqw2nv-project-4711-concurrent-0-upgr0002")
	require.NoError(t, cl.c.Create(ctx, pod), "no replica serves: the pod is admitted (failurePolicy Ignore)")
	assert.NotContains(t, pod.Annotations, v1alpha1.AppliedAnnotation)

	cl.replica(t, port)
	cl.requireMutated(ctx, t, "runner-zx8kqw2nv-project-4711-concurrent-0-upgr0003")
	assert.Equal(t, before, cl.caBundle(ctx, t), "the restarted replica kept the CA")
}

// kubeconfig writes a kubeconfig for a cluster admin of the test's
// kube-apiserver, for helm.
func (cl *cluster) kubeconfig(t *testing.T) string {
	t.Helper()
	user, err := cl.env.ControlPlane.AddUser(envtest.User{Name: "helm", Groups: []string{"system:masters"}}, nil)
	require.NoError(t, err)
	b, err := user.KubeConfig()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

// TestHelmInstallChecksExistingPolicy: existingPolicy names a ConfigMap the
// user manages; helm install refuses one the webhook would never select
// (lookup sees the cluster only at install and upgrade time), and accepts
// it once it carries the label.
func TestHelmInstallChecksExistingPolicy(t *testing.T) {
	cl := startCluster(t)
	ctx := context.Background()
	kubeconfig := cl.kubeconfig(t)
	require.NoError(t, cl.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: releaseNamespace}}))
	cm := readObject(t, examplePolicy)
	cm.SetLabels(nil)
	cm.SetName("platform-policy")
	require.NoError(t, cl.c.Create(ctx, cm))
	install := []string{"install", releaseName, chartDir, "-n", releaseNamespace, "--kubeconfig", kubeconfig,
		"--set", "existingPolicy=platform-policy"}

	_, err := runHelm(t, install...)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "existingPolicy: ConfigMap jobfit-system/platform-policy must carry the label jobfit.dev/policy=cluster")

	cm.SetLabels(map[string]string{v1alpha1.PolicyLabel: "cluster"})
	require.NoError(t, cl.c.Update(ctx, cm))
	_, err = runHelm(t, install...)
	require.NoError(t, err)
	err = cl.c.Get(ctx, client.ObjectKey{Namespace: releaseNamespace, Name: "jobfit-cluster-policy"}, &corev1.ConfigMap{})
	assert.True(t, apierrors.IsNotFound(err), "the chart renders no policy of its own: %v", err)
}
