package stack

import (
	"fmt"
	"net/http"

	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"jobfit.dev/jobfit/webhook"
	"jobfit.dev/jobfit/webhook/certs"
)

// Replica configures one in-process webhook replica.
type Replica struct {
	// Port is the webhook server's port, on every interface.
	Port int
	// CertDir is the replica's own certificate directory.
	CertDir string
	// MetricsAddr and ProbeAddr are the metrics and health probe addresses;
	// "0" disables them.
	MetricsAddr, ProbeAddr string
	// Handler, when set, answers admissions instead of jobfit's handler;
	// everything else (policy, certificates, readiness) is unchanged. The
	// load tool uses it to measure what any webhook costs.
	Handler admission.Handler
}

// substituteServer registers Handler at webhook.Path in place of what
// webhook.Setup registers there.
type substituteServer struct {
	ctrlwebhook.Server
	handler admission.Handler
}

func (s substituteServer) Register(path string, h http.Handler) {
	if path == webhook.Path {
		h = webhook.NewReviewHandler(&admission.Webhook{Handler: s.handler})
	}
	s.Server.Register(path, h)
}

// NewManager wires a replica as `jobfit webhook --tls-mode self-managed`
// does (cmd/jobfit/app/webhook.go); start it with Start.
func NewManager(cfg *rest.Config, r Replica) (ctrl.Manager, error) {
	server := webhook.NewServer(webhook.ServerOptions{Port: r.Port, CertDir: r.CertDir})
	if r.Handler != nil {
		server = substituteServer{Server: server, handler: r.Handler}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Metrics:                       metricsserver.Options{BindAddress: r.MetricsAddr},
		HealthProbeBindAddress:        r.ProbeAddr,
		LeaderElection:                true,
		LeaderElectionID:              certs.LeaderElectionID,
		LeaderElectionNamespace:       JobfitNamespace,
		LeaderElectionReleaseOnCancel: true,
		// Several replicas may run in one process, one after the other.
		Controller:    config.Controller{SkipNameValidation: ptr.To(true)},
		WebhookServer: server,
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	_, err = webhook.Setup(mgr, webhook.Options{
		Namespace: JobfitNamespace,
		TLSMode:   webhook.TLSSelfManaged,
		Certs:     certs.Options{CertDir: r.CertDir},
		Version:   "test",
	})
	if err != nil {
		return nil, fmt.Errorf("setting up the webhook: %w", err)
	}
	return mgr, nil
}
