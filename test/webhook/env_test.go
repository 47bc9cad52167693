// Package integration runs jobfit's webhook against a real kube-apiserver
// and etcd (envtest), with the project's own Service and
// MutatingWebhookConfiguration from manifests/base and self-managed TLS.
//
// The kube-apiserver reaches the webhook through its Service and verifies
// jobfit's own certificate, as in a cluster (see hack/stack).
//
// It needs KUBEBUILDER_ASSETS from hack/build-control-plane.sh and is
// skipped without it.
package integration

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	"jobfit.dev/jobfit/hack/stack"
)

const jobfitNamespace = stack.JobfitNamespace

// hostIP is this machine's address for the webhook Service's EndpointSlice.
var hostIP string

func TestMain(m *testing.M) {
	stack.ExitWithoutAssets()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if hostIP, err = stack.NonLoopbackIPv4(); err != nil {
		fmt.Println("skipping:", err)
		return 0
	}
	// JOBFIT_TEST_LOG=1 shows jobfit's and controller-runtime's logs.
	out := io.Discard
	if os.Getenv("JOBFIT_TEST_LOG") != "" {
		out = os.Stderr
	}
	ctrl.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(out, nil)))
	return m.Run()
}

// startAPIServer starts a kube-apiserver and etcd of the test's own, so
// that every run (go test -count=N included) starts from an empty cluster.
func startAPIServer(t *testing.T) *rest.Config {
	t.Helper()
	env := stack.Environment()
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting envtest: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	return cfg
}
