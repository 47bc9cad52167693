package scaler_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"jobfit.dev/jobfit/cmd/jobfit/app"
	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/scaler"
)

// TestScalerWithoutKarpenterCRDs runs the scaler against an API server
// without Karpenter: it must say so in /readyz, stay not ready, and keep
// running past its cache sync timeout (before, it reported ready, logged
// "no matches for kind NodePool" and exited after the timeout, into a
// crash loop). Once the CRDs are installed it becomes ready.
func TestScalerWithoutKarpenterCRDs(t *testing.T) {
	env := &envtest.Environment{}
	bare, err := env.Start()
	require.NoError(t, err)
	t.Cleanup(func() { _ = env.Stop() })

	probe := freeAddr(t)
	o := &app.ScalerOptions{Namespace: "default", LeaderElect: false, MetricsBindAddress: "0", HealthProbeBindAddress: probe}
	opts := app.ScalerManagerOptions(o, scheme)
	// Short, so that giving up on the informers would show within the test.
	opts.Controller = config.Controller{SkipNameValidation: ptr.To(true), CacheSyncTimeout: 3 * time.Second}
	mgr, err := ctrl.NewManager(bare, opts)
	require.NoError(t, err)
	_, err = scaler.Setup(t.Context(), mgr, scaler.Options{Namespace: "default", SyncPeriod: time.Second, Registerer: prometheus.NewRegistry()})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var startErr error
	done := make(chan struct{}) // closed when the manager returns, with startErr set
	go func() { startErr = mgr.Start(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	readyz := func() (int, string) {
		resp, err := http.Get("http://" + probe + "/readyz?verbose")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	require.Eventually(t, func() bool { code, _ := readyz(); return code != 0 }, 30*time.Second, 100*time.Millisecond)
	code, body := readyz()
	assert.Equal(t, http.StatusInternalServerError, code, "not ready without Karpenter")
	// controller-runtime withholds the reason from /readyz; the check's
	// name says it, and the log says it in full.
	assert.Contains(t, body, "[-]karpenter-crds failed")

	select {
	case <-done:
		t.Fatalf("the scaler exited without Karpenter's CRDs: %v", startErr)
	case <-time.After(10 * time.Second): // past the 3 s cache sync timeout
	}
	code, _ = readyz()
	assert.Equal(t, http.StatusInternalServerError, code, "still waiting")

	karpenterDir, err := stack.ModuleDir("sigs.k8s.io/karpenter")
	require.NoError(t, err)
	_, err = envtest.InstallCRDs(bare, envtest.CRDInstallOptions{Paths: []string{
		filepath.Join(karpenterDir, "pkg", "apis", "crds", "karpenter.sh_nodepools.yaml"),
		filepath.Join(karpenterDir, "pkg", "apis", "crds", "karpenter.sh_nodeclaims.yaml"),
	}, ErrorIfPathMissing: true})
	require.NoError(t, err)
	require.Eventually(t, func() bool { code, _ := readyz(); return code == http.StatusOK }, time.Minute, 200*time.Millisecond,
		"ready once the CRDs are installed")
	select {
	case <-done:
		t.Fatalf("the scaler exited after the CRDs were installed: %v", startErr)
	default:
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := stack.FreePort()
	require.NoError(t, err)
	return fmt.Sprintf("127.0.0.1:%d", port)
}
