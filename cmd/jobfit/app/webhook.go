package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"jobfit.dev/jobfit/webhook"
	"jobfit.dev/jobfit/webhook/certs"
)

// defaultNamespace is used when neither --namespace nor POD_NAMESPACE is set.
const defaultNamespace = "jobfit-system"

// WebhookOptions are the flags of `jobfit webhook`.
type WebhookOptions struct {
	Namespace              string
	Port                   int
	CertDir                string
	TLSMode                string
	MetricsBindAddress     string
	HealthProbeBindAddress string
	WebhookConfigName      string
	ServiceName            string
}

func newWebhookCommand(run func(ctx context.Context, o *WebhookOptions) error) *cobra.Command {
	o := &WebhookOptions{}
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Serve the mutating admission webhook for GitLab Runner job pods",
		Long: `Serve jobfit's mutating admission webhook. Every replica serves; with
--tls-mode self-managed, one elected replica issues and rotates the serving
certificates and patches the caBundle of the MutatingWebhookConfiguration.

Policies are read from ConfigMaps labelled jobfit.dev/policy=cluster (in
--namespace) and jobfit.dev/policy=namespace (in runner namespaces), and
reloaded on change. An invalid policy never replaces the last good one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return run(ctx, o)
		},
	}
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" {
		ns = defaultNamespace
	}
	f := cmd.Flags()
	f.StringVar(&o.Namespace, "namespace", ns, "jobfit's namespace: the cluster policy, capacity status and certificate Secret live there (default from POD_NAMESPACE)")
	f.IntVar(&o.Port, "port", webhook.DefaultPort, "port the webhook server listens on")
	f.StringVar(&o.CertDir, "cert-dir", certs.DefaultCertDir, "directory holding tls.crt and tls.key; reloaded on change")
	f.StringVar(&o.TLSMode, "tls-mode", webhook.TLSSelfManaged, "self-managed (issue and rotate certificates in-process) or cert-manager (serve the mounted Secret)")
	f.StringVar(&o.MetricsBindAddress, "metrics-bind-address", ":8080", "address of the /metrics endpoint; 0 disables it")
	f.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", ":8081", "address of /healthz and /readyz; 0 disables them")
	f.StringVar(&o.WebhookConfigName, "webhook-config-name", certs.DefaultWebhookConfigName, "MutatingWebhookConfiguration whose caBundle is kept in step (self-managed)")
	f.StringVar(&o.ServiceName, "service-name", certs.DefaultServiceName, "Service the certificate is issued for (self-managed)")
	return cmd
}

// Validate checks the flags before anything starts.
func (o *WebhookOptions) Validate() error {
	var errs []error
	for _, msg := range validation.IsDNS1123Label(o.Namespace) {
		errs = append(errs, fmt.Errorf("--namespace %q: %s", o.Namespace, msg))
	}
	if o.Port < 1 || o.Port > 65535 {
		errs = append(errs, fmt.Errorf("--port %d: must be between 1 and 65535", o.Port))
	}
	if o.CertDir == "" {
		errs = append(errs, errors.New("--cert-dir: must not be empty"))
	}
	if o.TLSMode != webhook.TLSSelfManaged && o.TLSMode != webhook.TLSCertManager {
		errs = append(errs, fmt.Errorf("--tls-mode %q: must be %s or %s", o.TLSMode, webhook.TLSSelfManaged, webhook.TLSCertManager))
	}
	for flag, addr := range map[string]string{"--metrics-bind-address": o.MetricsBindAddress, "--health-probe-bind-address": o.HealthProbeBindAddress} {
		if err := validateBindAddress(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", flag, addr, err))
		}
	}
	for flag, name := range map[string]string{"--webhook-config-name": o.WebhookConfigName, "--service-name": o.ServiceName} {
		for _, msg := range validation.IsDNS1123Subdomain(name) {
			errs = append(errs, fmt.Errorf("%s %q: %s", flag, name, msg))
		}
	}
	return errors.Join(errs...)
}

// validateBindAddress accepts host:port, :port, or 0 (disabled), as
// controller-runtime does.
func validateBindAddress(addr string) error {
	if addr == "0" {
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("must be host:port, :port or 0")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return errors.New("port must be a number between 0 and 65535")
	}
	return nil
}

// runWebhook wires the manager and serves until ctx ends.
func runWebhook(ctx context.Context, o *WebhookOptions) error {
	ctrl.SetLogger(logr.FromSlogHandler(slog.NewJSONHandler(os.Stderr, nil)))
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	selfManaged := o.TLSMode == webhook.TLSSelfManaged
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Metrics:                metricsserver.Options{BindAddress: o.MetricsBindAddress},
		HealthProbeBindAddress: o.HealthProbeBindAddress,
		// Leader election only picks the replica that issues certificates;
		// every replica serves admission either way.
		LeaderElection:                selfManaged,
		LeaderElectionID:              certs.LeaderElectionID,
		LeaderElectionNamespace:       o.Namespace,
		LeaderElectionReleaseOnCancel: true,
		WebhookServer:                 webhook.NewServer(webhook.ServerOptions{Port: o.Port, CertDir: o.CertDir}),
	})
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	_, err = webhook.Setup(mgr, webhook.Options{
		Namespace: o.Namespace,
		TLSMode:   o.TLSMode,
		Certs:     certs.Options{ServiceName: o.ServiceName, WebhookConfigName: o.WebhookConfigName, CertDir: o.CertDir},
		Version:   Version,
	})
	if err != nil {
		return fmt.Errorf("setting up the webhook: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("adding health check: %w", err)
	}
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running the webhook: %w", err)
	}
	return nil
}
