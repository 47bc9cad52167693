// Package kubectl_test runs kubectl jobfit against a real kube-apiserver
// and etcd (envtest) with Karpenter's NodePool CRD, jobfit's own webhook
// installed from manifests/base (hack/stack) and the shipped example
// policies and NodePools.
//
// It needs KUBEBUILDER_ASSETS from hack/build-control-plane.sh and is
// skipped without it.
package kubectl_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/scaler"
)

const (
	jobfitNS = stack.JobfitNamespace
	timeout  = 30 * time.Second
	poll     = 100 * time.Millisecond
)

var hostIP string

func TestMain(m *testing.M) {
	stack.ExitWithoutAssets()
	var err error
	if hostIP, err = stack.NonLoopbackIPv4(); err != nil {
		fmt.Println("skipping:", err)
		os.Exit(0)
	}
	out := io.Discard
	if os.Getenv("JOBFIT_TEST_LOG") != "" {
		out = os.Stderr
	}
	ctrl.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(out, nil)))
	os.Exit(m.Run())
}

// cluster is one API server with jobfit's webhook installed and running.
type cluster struct {
	cfg        *rest.Config
	c          client.Client
	kubeconfig string
	// stop stops the webhook; it may be called more than once.
	stop func()
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	karpenterDir, err := stack.ModuleDir("sigs.k8s.io/karpenter")
	require.NoError(t, err)
	env := stack.Environment()
	env.CRDDirectoryPaths = []string{filepath.Join(karpenterDir, "pkg", "apis", "crds", "karpenter.sh_nodepools.yaml")}
	env.ErrorIfCRDPathMissing = true
	cfg, err := env.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = env.Stop() })
	s := runtime.NewScheme()
	require.NoError(t, scaler.AddToScheme(s))
	c, err := client.New(cfg, client.Options{Scheme: s})
	require.NoError(t, err)

	port, err := stack.FreePort()
	require.NoError(t, err)
	require.NoError(t, stack.Manifests{}.Install(context.Background(), c, hostIP, port))
	mgr, err := stack.NewManager(cfg, stack.Replica{Port: port, CertDir: filepath.Join(t.TempDir(), "certs"), MetricsAddr: "0", ProbeAddr: "0"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("webhook manager: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("webhook manager did not stop within 30s")
			}
		})
	}
	t.Cleanup(stop)
	return &cluster{cfg: cfg, c: c, kubeconfig: writeKubeconfig(t, cfg, ""), stop: stop}
}

// writeKubeconfig writes a kubeconfig for cfg, so that tests go through
// kubectl's flags like a user. Its context envtest has the namespace
// contextNS; with a contextNS, the current context is one whose server
// does not answer, so that only --context envtest works.
func writeKubeconfig(t *testing.T, cfg *rest.Config, contextNS string) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin", Namespace: contextNS}
	kc.CurrentContext = "envtest"
	if contextNS != "" {
		kc.Clusters["nowhere"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
		kc.Contexts["nowhere"] = &clientcmdapi.Context{Cluster: "nowhere", AuthInfo: "admin"}
		kc.CurrentContext = "nowhere"
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*kc, path))
	return path
}

// applyFile creates every object of a shipped manifest file.
func applyFile(ctx context.Context, t *testing.T, c client.Client, path string, obj client.Object) client.Object {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.UnmarshalStrict(b, obj))
	require.NoError(t, c.Create(ctx, obj))
	return obj
}

// applyConfigMap creates or replaces the data of a ConfigMap.
func applyConfigMap(ctx context.Context, t *testing.T, c client.Client, cm *corev1.ConfigMap) {
	t.Helper()
	cm = cm.DeepCopy()
	cm.ResourceVersion, cm.UID = "", ""
	err := c.Create(ctx, cm)
	if apierrors.IsAlreadyExists(err) {
		existing := &corev1.ConfigMap{}
		require.NoError(t, c.Get(ctx, client.ObjectKeyFromObject(cm), existing))
		existing.Labels, existing.Data = cm.Labels, cm.Data
		err = c.Update(ctx, existing)
	}
	require.NoError(t, err)
}
