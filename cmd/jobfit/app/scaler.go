package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"jobfit.dev/jobfit/scaler"
	"jobfit.dev/jobfit/scaler/controllers/imageplatforms"
	"jobfit.dev/jobfit/scaler/images"
)

// ScalerOptions are the flags of jobfit scaler.
type ScalerOptions struct {
	Namespace              string
	LeaderElect            bool
	LeaderElectionID       string
	MetricsBindAddress     string
	HealthProbeBindAddress string
	PolicyConfigMap        string
	HeadroomNamespace      string
	SyncPeriod             time.Duration
	// ResolveImagePlatforms runs the image-platform resolver (arch.fromImages).
	ResolveImagePlatforms bool
}

// Validate checks the flags before anything starts.
func (o *ScalerOptions) Validate() error {
	var errs []error
	if o.Namespace == "" {
		errs = append(errs, errors.New("--namespace must not be empty (or set POD_NAMESPACE)"))
	}
	if o.LeaderElect && o.LeaderElectionID == "" {
		errs = append(errs, errors.New("--leader-election-id must not be empty with --leader-elect"))
	}
	if o.SyncPeriod < time.Second {
		errs = append(errs, fmt.Errorf("--sync-period must be at least 1s, not %s", o.SyncPeriod))
	}
	return errors.Join(errs...)
}

func newScalerCommand(run func(ctx context.Context, o *ScalerOptions) error) *cobra.Command {
	o := &ScalerOptions{}
	cmd := &cobra.Command{
		Use:   "scaler",
		Short: "Tune Karpenter NodePools and keep warm headroom for GitLab job pods",
		Long: `Run the scaler controllers with leader election: spot→on-demand fallback
(the jobfit-capacity-status ConfigMap and on-demand NodePool weights), NodePool
limits between a floor and a ceiling, consolidateAfter by arrival rate, and
headroom placeholder pods. The ScalerPolicy comes from the ConfigMap labelled
jobfit.dev/policy=scaler in --namespace. See docs/scaler.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return run(cmd.Context(), o)
		},
	}
	ns := os.Getenv("POD_NAMESPACE")
	if ns == "" {
		ns = "jobfit-system"
	}
	f := cmd.Flags()
	f.StringVar(&o.Namespace, "namespace", ns, "jobfit's namespace (policy, capacity status); default $POD_NAMESPACE or jobfit-system")
	f.StringVar(&o.HeadroomNamespace, "headroom-namespace", "", "namespace of the headroom placeholder pods; default --namespace (the manifests use jobfit-headroom)")
	f.BoolVar(&o.LeaderElect, "leader-elect", true, "elect a leader so that only one replica writes")
	f.StringVar(&o.LeaderElectionID, "leader-election-id", "jobfit-scaler", "name of the leader election Lease")
	f.StringVar(&o.MetricsBindAddress, "metrics-bind-address", ":8080", "address of the /metrics endpoint; 0 disables it")
	f.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", ":8081", "address of /healthz and /readyz")
	f.StringVar(&o.PolicyConfigMap, "policy-configmap", "", "name of the ScalerPolicy ConfigMap; default: the one labelled jobfit.dev/policy=scaler")
	f.BoolVar(&o.ResolveImagePlatforms, "resolve-image-platforms", false, "resolve the platforms of job images into the jobfit-image-platforms ConfigMap, for policies with arch.fromImages (docs/image-platforms.md)")
	f.DurationVar(&o.SyncPeriod, "sync-period", 30*time.Second, "how often the controllers re-plan without events")
	return cmd
}

// runScaler starts the manager with the scaler's controllers.
func runScaler(ctx context.Context, o *ScalerOptions) error {
	ctrl.SetLogger(zap.New())
	scheme := runtime.NewScheme()
	if err := scaler.AddToScheme(scheme); err != nil {
		return fmt.Errorf("building scheme: %w", err)
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	mgr, err := ctrl.NewManager(cfg, ScalerManagerOptions(o, scheme))
	if err != nil {
		return fmt.Errorf("creating manager: %w", err)
	}
	so := scaler.Options{Namespace: o.Namespace, HeadroomNamespace: o.HeadroomNamespace, PolicyConfigMap: o.PolicyConfigMap, SyncPeriod: o.SyncPeriod}
	if o.ResolveImagePlatforms {
		kube, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return fmt.Errorf("creating client for pull secrets: %w", err)
		}
		so.ImagePlatforms = &imageplatforms.Options{
			Keychains: imageplatforms.PullSecretKeychains{Client: kube}, ECR: images.NewECRHelper(),
		}
	}
	if _, err := scaler.Setup(ctx, mgr, so); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding healthz check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("adding readyz check: %w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("running scaler: %w", err)
	}
	return nil
}

// ScalerManagerOptions are the manager options for o: leader election in
// jobfit's namespace, the scaler's cache, metrics and probes.
func ScalerManagerOptions(o *ScalerOptions, scheme *runtime.Scheme) ctrl.Options {
	return ctrl.Options{
		Scheme:                        scheme,
		Cache:                         scaler.CacheOptions(o.Namespace),
		LeaderElection:                o.LeaderElect,
		LeaderElectionID:              o.LeaderElectionID,
		LeaderElectionNamespace:       o.Namespace,
		LeaderElectionReleaseOnCancel: true,
		Metrics:                       metricsserver.Options{BindAddress: o.MetricsBindAddress},
		HealthProbeBindAddress:        o.HealthProbeBindAddress,
	}
}
