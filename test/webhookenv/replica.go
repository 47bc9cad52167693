package webhookenv

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"jobfit.dev/jobfit/webhook"
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
}

// NewManager wires a replica as `jobfit webhook --tls-mode self-managed`
// does (cmd/jobfit/app/webhook.go); start it with Start.
func NewManager(cfg *rest.Config, r Replica) (ctrl.Manager, error) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Metrics:                       metricsserver.Options{BindAddress: r.MetricsAddr},
		HealthProbeBindAddress:        r.ProbeAddr,
		LeaderElection:                true,
		LeaderElectionID:              webhook.CertLeaderElectionID,
		LeaderElectionNamespace:       Namespace,
		LeaderElectionReleaseOnCancel: true,
		// Several replicas may run in one process, one after the other.
		Controller:    config.Controller{SkipNameValidation: ptr.To(true)},
		WebhookServer: webhook.NewServer(webhook.ServerOptions{Port: r.Port, CertDir: r.CertDir}),
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	_, err = webhook.Setup(mgr, webhook.Options{
		Namespace: Namespace,
		TLSMode:   webhook.TLSSelfManaged,
		Certs:     webhook.CertOptions{CertDir: r.CertDir},
		Version:   "test",
	})
	if err != nil {
		return nil, fmt.Errorf("setting up the webhook: %w", err)
	}
	return mgr, nil
}
