package webhook

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"

	ctrl "sigs.k8s.io/controller-runtime"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"jobfit.dev/jobfit/webhook/certs"
)

// TLS modes of `jobfit webhook --tls-mode`.
const (
	// TLSSelfManaged issues and rotates certificates in-process (package certs).
	TLSSelfManaged = "self-managed"
	// TLSCertManager serves a key pair that cert-manager keeps in a Secret
	// mounted at the cert directory; cert-manager's CA injector patches the
	// caBundle.
	TLSCertManager = "cert-manager"
)

// DefaultPort is the webhook server's container port; the Service maps 443 to it.
const DefaultPort = 9443

// ServerOptions configures the admission server.
type ServerOptions struct {
	// Host is the address to listen on; empty means every interface.
	Host string
	// Port is the port to listen on.
	Port int
	// CertDir holds tls.crt and tls.key; they are reloaded when they change.
	CertDir string
}

// NewServer returns controller-runtime's webhook server with HTTP/2 off,
// jobfit's read deadlines, reporting the expiry of the certificate it
// serves (server.go). Every
// replica serves: the server needs no leader election.
func NewServer(o ServerOptions) ctrlwebhook.Server {
	return &server{
		DefaultServer: &ctrlwebhook.DefaultServer{Options: ctrlwebhook.Options{
			Host:    o.Host,
			Port:    o.Port,
			CertDir: o.CertDir,
			TLSOpts: []func(*tls.Config){certs.DisableHTTP2},
			// Register adds handlers to this mux, which server.go serves.
			WebhookMux: http.NewServeMux(),
		}},
	}
}

// Options configures Setup.
type Options struct {
	// Namespace is jobfit's namespace: it holds the cluster policy and the
	// capacity status.
	Namespace string
	// TLSMode is TLSSelfManaged or TLSCertManager.
	TLSMode string
	// Certs configures self-managed certificates; its Namespace is set from
	// Namespace and its CertDir must be the webhook server's.
	Certs certs.Options
	// Version is reported in jobfit_build_info.
	Version string
}

// Setup adds the admission handler, the policy watcher, the caches of the
// objects policies name (references.go) and, in
// self-managed TLS mode, certificate rotation to mgr, whose webhook server
// should come from NewServer. The manager's readyz passes once a valid
// cluster policy is loaded, the server is listening and, when self-managed,
// the serving certificate is in place and trusted.
func Setup(mgr ctrl.Manager, o Options) (*Store, error) {
	if err := RegisterMetrics(o.Version); err != nil {
		return nil, err
	}
	store := NewStore()
	refs, err := SetupReferences(context.Background(), mgr, o.Namespace)
	if err != nil {
		return nil, err
	}
	if err := SetupWatcher(mgr, o.Namespace, store, refs); err != nil {
		return nil, err
	}
	switch o.TLSMode {
	case TLSSelfManaged:
		co := o.Certs
		co.Namespace = o.Namespace
		ready, err := certs.Setup(mgr, co)
		if err != nil {
			return nil, err
		}
		if err := mgr.AddReadyzCheck("certificates", certs.ReadyCheck(ready)); err != nil {
			return nil, fmt.Errorf("adding certificate readiness check: %w", err)
		}
	case TLSCertManager:
	default:
		return nil, fmt.Errorf("unknown TLS mode %q", o.TLSMode)
	}
	server := mgr.GetWebhookServer()
	handler := NewHandler(store)
	handler.Refs = refs
	handler.Missing = NewMissingReporter(mgr.GetEventRecorder("jobfit-webhook"))
	server.Register(Path, NewReviewHandler(&admission.Webhook{Handler: handler}))
	if err := mgr.AddReadyzCheck("policy", store.ReadyCheck); err != nil {
		return nil, fmt.Errorf("adding policy readiness check: %w", err)
	}
	if err := mgr.AddReadyzCheck("webhook-server", server.StartedChecker()); err != nil {
		return nil, fmt.Errorf("adding webhook server readiness check: %w", err)
	}
	return store, nil
}
