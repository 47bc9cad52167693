// Package integration runs jobfit's webhook against a real kube-apiserver
// and etcd (envtest), with the project's own Service and
// MutatingWebhookConfiguration from manifests/base and self-managed TLS.
//
// The kube-apiserver reaches the webhook through its Service and verifies
// jobfit's own certificate, as in a cluster (see test/webhookenv).
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

	"jobfit.dev/jobfit/test/webhookenv"
)

const jobfitNamespace = webhookenv.Namespace

var (
	cfg    *rest.Config
	hostIP string
)

func TestMain(m *testing.M) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Println("skipping: KUBEBUILDER_ASSETS is not set; see hack/build-control-plane.sh")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if hostIP, err = webhookenv.NonLoopbackIPv4(); err != nil {
		fmt.Println("skipping:", err)
		return 0
	}
	// JOBFIT_TEST_LOG=1 shows jobfit's and controller-runtime's logs.
	out := io.Discard
	if os.Getenv("JOBFIT_TEST_LOG") != "" {
		out = os.Stderr
	}
	ctrl.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(out, nil)))
	env := webhookenv.Environment()
	if cfg, err = env.Start(); err != nil {
		fmt.Println("starting envtest:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	return m.Run()
}
