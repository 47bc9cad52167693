//go:build e2e

// Package e2e runs jobfit's webhook in a cluster that provisions nodes:
// kube-apiserver and etcd (envtest), kube-scheduler, Karpenter with its
// kwok cloud provider and kwok, all built from Go modules
// (hack/build-control-plane.sh, hack/build-e2e-tools.sh). A GitLab job pod
// created in an opted-in namespace is mutated by jobfit, found unschedulable
// by the scheduler, given a node by Karpenter, and scheduled onto it; the
// test checks the node has the arch and capacity type jobfit chose.
//
//	make e2e
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/test/corpus"
	"jobfit.dev/jobfit/test/webhookenv"
)

const (
	runners = "gitlab-runner"
	timeout = 90 * time.Second
	poll    = 250 * time.Millisecond
)

func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard())
	os.Exit(m.Run())
}

func TestJobPodsGetNodesOfTheirArch(t *testing.T) {
	tools := os.Getenv("JOBFIT_E2E_TOOLS")
	if os.Getenv("KUBEBUILDER_ASSETS") == "" || tools == "" {
		t.Skip("needs KUBEBUILDER_ASSETS (hack/build-control-plane.sh) and JOBFIT_E2E_TOOLS (hack/build-e2e-tools.sh); run make e2e")
	}
	ctx := context.Background()
	karpenterDir := moduleDir(t, "sigs.k8s.io/karpenter")
	webhookenv.ManifestsDir = "../../manifests/base/webhook"
	env := webhookenv.Environment()
	env.CRDDirectoryPaths = []string{
		filepath.Join(karpenterDir, "kwok", "charts", "crds"),
		filepath.Join(karpenterDir, "kwok", "apis", "crds"),
	}
	env.ErrorIfCRDPathMissing = true
	// No kube-controller-manager runs to lift the not-ready taint once kwok
	// reports a node Ready, so the API server must not add it.
	env.ControlPlane.GetAPIServer().Configure().Append("disable-admission-plugins", "TaintNodesByCondition")
	cfg, err := env.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = env.Stop() })
	admin, err := env.AddUser(envtest.User{Name: "e2e-admin", Groups: []string{"system:masters"}}, nil)
	require.NoError(t, err)
	kubeconfigBytes, err := admin.KubeConfig()
	require.NoError(t, err)
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, kubeconfigBytes, 0o600))

	c, err := client.New(cfg, client.Options{})
	require.NoError(t, err)

	// jobfit, as in the integration suite.
	hostIP, err := webhookenv.NonLoopbackIPv4()
	require.NoError(t, err)
	port := freePort(t)
	require.NoError(t, webhookenv.Install(ctx, c, hostIP, port))
	require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: runners, Labels: map[string]string{policy.InjectLabel: policy.InjectEnabled}}}))
	createFromFile(ctx, t, c, "../../manifests/examples/policies/eks-karpenter.yaml")
	mgr, err := webhookenv.NewManager(cfg, webhookenv.Replica{Port: port, CertDir: filepath.Join(dir, "certs"), MetricsAddr: "0", ProbeAddr: "0"})
	require.NoError(t, err)
	mctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	go func() { _ = mgr.Start(mctx) }()

	// The node-provisioning side.
	require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "karpenter"}}))
	start(t, dir, "kube-scheduler", filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kube-scheduler"), nil,
		"--kubeconfig="+kubeconfig, "--authentication-kubeconfig="+kubeconfig, "--authorization-kubeconfig="+kubeconfig,
		"--leader-elect=false", "--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", freePort(t)))
	start(t, dir, "karpenter", filepath.Join(tools, "karpenter-kwok"), []string{"KUBECONFIG=" + kubeconfig, "SYSTEM_NAMESPACE=karpenter"},
		"--disable-leader-election", fmt.Sprintf("--metrics-port=%d", freePort(t)), fmt.Sprintf("--health-probe-port=%d", freePort(t)),
		"--batch-idle-duration=100ms", "--batch-max-duration=1s")
	stages, err := filepath.Glob(filepath.Join(tools, "stages", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, stages, "kwok's stages next to the binaries")
	kwokArgs := []string{"--kubeconfig=" + kubeconfig, "--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake", "--server-address=", "--node-ip=10.0.0.1"}
	for _, s := range stages {
		kwokArgs = append(kwokArgs, "--config="+s)
	}
	start(t, dir, "kwok", filepath.Join(tools, "kwok"), nil, kwokArgs...)
	createFromFile(ctx, t, c, "testdata/kwok-nodepool.yaml")

	for _, tc := range []struct {
		name, arch, capacity string
		// vars are job variables added to the build container.
		vars map[string]string
	}{
		{name: "arm64 from the runner's tags, spot by default", arch: "arm64", capacity: "spot"},
		{name: "amd64 and on-demand from job variables", arch: "amd64", capacity: "on-demand",
			vars: map[string]string{"JOBFIT_ARCH": "amd64", "JOBFIT_CAPACITY_TYPE": "on-demand"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pod := corpus.Read(t, "../../webhook/testdata/job-pod-v18.11.yaml").Pod
			pod.Namespace = runners
			pod.Name += "-" + tc.arch
			for k, v := range tc.vars {
				pod.Spec.Containers[0].Env = append(pod.Spec.Containers[0].Env, corev1.EnvVar{Name: k, Value: v})
			}
			require.Eventually(t, func() bool { return c.Create(ctx, pod.DeepCopy()) == nil }, timeout, poll, "jobfit ready and the pod created")
			got := &corev1.Pod{}
			running := assert.Eventually(t, func() bool {
				if c.Get(ctx, types.NamespacedName{Namespace: runners, Name: pod.Name}, got) != nil {
					return false
				}
				return got.Spec.NodeName != "" && got.Status.Phase == corev1.PodRunning
			}, timeout, poll, "the pod runs on a node Karpenter provisioned")
			if !running {
				t.Fatalf("pod %s on %q, conditions %+v\n%s", got.Status.Phase, got.Spec.NodeName, got.Status.Conditions, logs(dir))
			}
			require.Contains(t, got.Annotations, policy.AppliedAnnotation)
			require.NotEmpty(t, got.Annotations["karpenter.sh/do-not-disrupt"], "consolidation must not evict the job")
			require.Equal(t, tc.arch, got.Spec.NodeSelector[corev1.LabelArchStable])
			require.Contains(t, got.Spec.InitContainers[0].Image, "gitlab-runner-helper:"+map[string]string{"arm64": "arm64", "amd64": "x86_64"}[tc.arch]+"-v18.11.4")
			node := &corev1.Node{}
			require.NoError(t, c.Get(ctx, types.NamespacedName{Name: got.Spec.NodeName}, node))
			require.Equal(t, tc.arch, node.Labels[corev1.LabelArchStable])
			require.Equal(t, tc.capacity, node.Labels["karpenter.sh/capacity-type"])
			require.Equal(t, "ci", node.Labels["karpenter.sh/nodepool"])
			require.Equal(t, "fake", node.Annotations["kwok.x-k8s.io/node"])
		})
	}
}

func start(t *testing.T, dir, name, bin string, env []string, args ...string) {
	t.Helper()
	out, err := os.Create(filepath.Join(dir, name+".log"))
	require.NoError(t, err)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start(), "starting %s", name)
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); out.Close() })
}

// logs returns the tail of every process log, for failure messages.
func logs(dir string) string {
	var b strings.Builder
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		fmt.Fprintf(&b, "==> %s\n%s\n", filepath.Base(f), strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return b.String()
}

func createFromFile(ctx context.Context, t *testing.T, c client.Client, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, doc := range strings.Split(string(raw), "\n---") {
		obj := &unstructured.Unstructured{}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &obj.Object))
		if len(obj.Object) == 0 {
			continue
		}
		require.NoError(t, c.Create(ctx, obj), "creating %s %s", obj.GetKind(), obj.GetName())
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	port, err := webhookenv.FreePort()
	require.NoError(t, err)
	return port
}

func moduleDir(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}
