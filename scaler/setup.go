package scaler

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/config"
	fallbackcontroller "jobfit.dev/jobfit/scaler/controllers/fallback"
	"jobfit.dev/jobfit/scaler/controllers/headroom"
	"jobfit.dev/jobfit/scaler/controllers/imageplatforms"
	"jobfit.dev/jobfit/scaler/controllers/nodepool"
	"jobfit.dev/jobfit/scaler/controllers/volumes"
	"jobfit.dev/jobfit/scaler/fallback"
	"jobfit.dev/jobfit/scaler/metrics"
	"jobfit.dev/jobfit/scaler/signals"
)

// Options configure the scaler's controllers.
type Options struct {
	// Namespace is jobfit's namespace (policy, capacity status).
	Namespace string
	// HeadroomNamespace holds the headroom placeholder pods and their owner
	// ConfigMap; empty means Namespace. The manifests use a namespace of
	// its own, jobfit-headroom, where only the scaler may create pods, so
	// that creating pods never lets the scaler run one as another of
	// jobfit's ServiceAccounts.
	HeadroomNamespace string
	// PolicyConfigMap names the ScalerPolicy ConfigMap; empty selects the
	// one labelled jobfit.dev/policy=scaler.
	PolicyConfigMap string
	// SyncPeriod is how often each controller re-plans without events.
	SyncPeriod time.Duration
	// Clock is injectable for tests; nil is the real clock.
	Clock clock.PassiveClock
	// Registerer receives the metrics; nil is controller-runtime's registry.
	Registerer prometheus.Registerer
	// ImagePlatforms turns the image-platform resolver on (arch.fromImages);
	// nil leaves it off.
	ImagePlatforms *imageplatforms.Options
}

// CacheOptions returns the manager cache options the scaler needs: pods
// stripped by TransformPod (PersistentVolumeClaims are cached whole),
// ConfigMaps and Leases from jobfit's namespace only (a scheduler's Lease
// says whether placeholders may name it), and only Karpenter's Events,
// stripped by TransformEvent.
func CacheOptions(namespace string) cache.Options {
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Pod{}:       {Transform: TransformPod},
		&corev1.ConfigMap{}: {Namespaces: map[string]cache.Config{namespace: {}}},
		&coordinationv1.Lease{}: {
			Namespaces: map[string]cache.Config{namespace: {}},
			Transform:  cache.TransformStripManagedFields(),
		},
		&corev1.Event{}: {
			Field:     fields.OneTermEqualSelector("source", signals.KarpenterComponent),
			Transform: TransformEvent,
		},
	}}
}

// Controllers are the scaler's controllers, sharing one policy store.
type Controllers struct {
	Policy   *config.Controller
	Fallback *fallbackcontroller.Controller
	NodePool *nodepool.Controller
	Headroom *headroom.Controller
	Volumes  *volumes.Controller
	Metrics  *metrics.Metrics
	Policies *config.Store
	// Images is the image-platform resolver, nil unless
	// Options.ImagePlatforms is set.
	Images *imageplatforms.Controller
}

// New builds the controllers on mgr without registering them.
func New(mgr ctrl.Manager, o Options) *Controllers {
	clk := o.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	reg := o.Registerer
	if reg == nil {
		reg = defaultRegisterer()
	}
	period := o.SyncPeriod
	if period <= 0 {
		period = 30 * time.Second
	}
	recorder := mgr.GetEventRecorder(v1alpha1.ScalerFieldManager)
	m := metrics.New(reg)
	store := &config.Store{}
	fb := &fallback.Latest{}
	c := mgr.GetClient()
	headroomNS := o.HeadroomNamespace
	if headroomNS == "" {
		headroomNS = o.Namespace
	}
	hc := headroom.NewController(clk, c, mgr.GetAPIReader(), store, fb, recorder, m, headroomNS, period).WithSchedulerNamespace(o.Namespace)
	var imgs *imageplatforms.Controller
	if o.ImagePlatforms != nil {
		imgs = imageplatforms.NewController(clk, c, recorder, m, o.Namespace, period, *o.ImagePlatforms)
	}
	return &Controllers{
		Images:   imgs,
		Policy:   config.NewController(c, store, recorder, types.NamespacedName{Namespace: o.Namespace, Name: o.PolicyConfigMap}),
		Fallback: fallbackcontroller.NewController(clk, c, store, fb, recorder, m, o.Namespace, period),
		NodePool: nodepool.NewController(clk, c, store, fb, recorder, m, period),
		Headroom: hc,
		Volumes:  volumes.NewController(c, recorder, m, period),
		Metrics:  m,
		Policies: store,
	}
}

// Setup builds the controllers and registers them with mgr. Without
// Karpenter's CRDs it registers them once the CRDs appear, and the
// readiness check karpenter-crds fails until then (crdgate.go).
func Setup(ctx context.Context, mgr ctrl.Manager, o Options) (*Controllers, error) {
	cs := New(mgr, o)
	// Volume reporting needs neither Karpenter nor a ScalerPolicy.
	if err := cs.Volumes.Register(ctx, mgr); err != nil {
		return nil, fmt.Errorf("registering controller %s: %w", cs.Volumes.Name(), err)
	}
	if cs.Images != nil {
		// Not behind the Karpenter CRD gate: the arch of a job matters on
		// every platform.
		if err := cs.Images.Register(ctx, mgr); err != nil {
			return nil, fmt.Errorf("registering controller %s: %w", cs.Images.Name(), err)
		}
	}
	register := func(ctx context.Context) error {
		for _, r := range []interface {
			Register(context.Context, ctrl.Manager) error
			Name() string
		}{cs.Policy, cs.Fallback, cs.NodePool, cs.Headroom} {
			if err := r.Register(ctx, mgr); err != nil {
				return fmt.Errorf("registering controller %s: %w", r.Name(), err)
			}
		}
		return nil
	}
	if err := gateOnCRDs(ctx, mgr, register); err != nil {
		return nil, err
	}
	return cs, nil
}

func defaultRegisterer() prometheus.Registerer { return ctrlmetrics.Registry }
