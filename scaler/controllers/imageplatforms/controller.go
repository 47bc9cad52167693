// Package imageplatforms is the scaler's image-platform controller: it
// resolves the platforms of the images job pods run, through the resolver
// and cache of jobfit.dev/jobfit/scaler/images, and publishes them in the
// jobfit-image-platforms ConfigMap that the webhook reads for
// arch.fromImages. It also pre-warms the images the cluster policy lists
// (prewarm.go) and puts the ImageArchConflict Event on job pods
// (conflicts.go).
package imageplatforms

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/images"
	"jobfit.dev/jobfit/scaler/metrics"
	"jobfit.dev/jobfit/scaler/trigger"
)

// Options configure the image-platform resolver; see
// docs/image-platforms.md.
type Options struct {
	// Limits bound the cache; zero fields take images.DefaultLimits'.
	Limits images.Limits
	// Resolver bounds each resolution; zero fields take
	// images.DefaultResolverOptions'.
	Resolver images.ResolverOptions
	// Concurrency is how many images are resolved at once.
	Concurrency int
	// PerPass is how many images one reconcile resolves at most.
	PerPass int
	// Keychains gives the credentials for a pod's images; nil is
	// anonymous (tests), the scaler's command passes PullSecretKeychains.
	Keychains KeychainSource
	// ECR gives the AWS credentials (IRSA, Pod Identity or the node's
	// role) for ECR hosts, asked after the pod's pull secrets; nil asks
	// AWS nothing. The scaler's command passes images.NewECRHelper().
	ECR images.ECRHelper
}

// KeychainSource gives the registry credentials the kubelet would use for
// a pod's images.
type KeychainSource interface {
	Keychain(ctx context.Context, pod *corev1.Pod) (authn.Keychain, error)
}

// maxRegistryLabels bounds the registry label of the resolver's metrics;
// job pods name the registries, so the rest are counted as "other".
const maxRegistryLabels = 50

// Controller resolves the platforms of the images job pods
// run and publishes them in the jobfit-image-platforms ConfigMap, which
// the webhook reads for arch.fromImages. It runs on the leader only, off
// the admission path: a slow or failing registry delays what the cache
// knows, never an admission.
type Controller struct {
	clk       clock.PassiveClock
	client    client.Client
	keychains KeychainSource
	resolver  *images.Resolver
	cache     *images.Cache
	metrics   *metrics.Metrics
	namespace string
	period    time.Duration
	opts      Options

	loaded     bool
	written    map[string]string
	registries map[string]bool
	prewarm    map[string]prewarmEntry
	conflicts  *conflictReporter
}

// NewController returns the controller; o's zero fields take
// the defaults. recorder puts the image arch conflict Events on job pods;
// nil records none.
func NewController(clk clock.PassiveClock, c client.Client, recorder events.EventRecorder, m *metrics.Metrics,
	namespace string, period time.Duration, o Options) *Controller {
	if o.Limits == (images.Limits{}) {
		o.Limits = images.DefaultLimits
	}
	if o.Resolver.Timeout == 0 {
		t := o.Resolver.Transport
		o.Resolver = images.DefaultResolverOptions
		o.Resolver.Transport = t
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.PerPass <= 0 {
		o.PerPass = 64
	}
	return &Controller{
		clk: clk, client: c, keychains: o.Keychains, resolver: images.NewResolver(o.Resolver),
		cache: images.NewCache(o.Limits), metrics: m, namespace: namespace, period: period, opts: o,
		registries: map[string]bool{}, conflicts: newConflictReporter(recorder),
	}
}

// Name is the controller's name.
func (c *Controller) Name() string { return "scaler.image-platforms" }

// Reconcile notes the images of the job pods in the cache, resolves those
// that are due, and writes the ConfigMap when its content changed.
func (c *Controller) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	if err := c.load(ctx); err != nil {
		return reconcile.Result{}, err
	}
	now := c.clk.Now()
	pods := &corev1.PodList{}
	if err := c.client.List(ctx, pods); err != nil {
		return reconcile.Result{}, fmt.Errorf("listing pods: %w", err)
	}
	prewarm, err := c.prewarmImages(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	for _, img := range prewarm {
		c.cache.Touch(img, now)
	}
	users := map[string]*corev1.Pod{}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if ok, _ := policy.IsJobPod(pod); !ok || pod.DeletionTimestamp != nil {
			continue
		}
		c.conflicts.report(pod)
		for _, img := range policy.JobImages(pod) {
			c.cache.Touch(img, now)
			if _, ok := users[img]; !ok {
				users[img] = pod
			}
		}
	}
	c.resolveDue(ctx, users, sets.New(prewarm...), now)
	return reconcile.Result{RequeueAfter: c.period}, c.write(ctx)
}

// resolveDue resolves the due images that a current job pod names, with
// that pod's credentials, and the due pre-warm images no job pod names
// yet, with the credentials that need no pod (ECR's), Concurrency at a
// time.
func (c *Controller) resolveDue(ctx context.Context, users map[string]*corev1.Pod, prewarm sets.Set[string], now time.Time) {
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		sem = make(chan struct{}, c.opts.Concurrency)
	)
	var ecr *images.ECRKeychain
	if c.opts.ECR != nil {
		ecr = images.NewECRKeychain(c.opts.ECR) // one pass: no token kept longer
	}
	keychains := map[types.NamespacedName]authn.Keychain{}
	for _, ref := range c.cache.Due(now, c.opts.PerPass) {
		var key types.NamespacedName // the zero key: pre-warming, no pod
		pod, ok := users[ref]
		switch {
		case ok:
			key = types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}
		case !prewarm.Has(ref):
			continue // no job pod runs it now: not worth a registry call
		}
		kc, ok := keychains[key]
		if !ok {
			var podKC authn.Keychain
			if pod != nil {
				podKC = c.keychain(ctx, pod)
			}
			kc = images.WithECR(podKC, ecr)
			keychains[key] = kc
		}
		registry := c.registryLabel(images.Registry(ref))
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			platforms, err := c.resolver.Resolve(ctx, ref, kc)
			c.metrics.ImageResolveSeconds.WithLabelValues(registry).Observe(time.Since(start).Seconds())
			result := "ok"
			if err != nil {
				result = "error"
				log.FromContext(ctx).Info("image platforms not resolved", "image", ref, "reason", images.Reason(err), "error", err.Error())
			}
			c.metrics.ImageResolves.WithLabelValues(registry, result).Inc()
			mu.Lock()
			defer mu.Unlock()
			c.cache.Record(ref, platforms, err, now)
		}()
	}
	wg.Wait()
}

// keychain returns the pod's pull-secret credentials, or nil when there
// are none or they cannot be read (the image may well be public, or on
// ECR).
func (c *Controller) keychain(ctx context.Context, pod *corev1.Pod) authn.Keychain {
	if c.keychains == nil {
		return nil
	}
	kc, err := c.keychains.Keychain(ctx, pod)
	if err != nil {
		log.FromContext(ctx).Info("pull secrets not read; resolving without them", "namespace", pod.Namespace, "pod", pod.Name, "error", err.Error())
		return nil
	}
	return kc
}

func (c *Controller) registryLabel(registry string) string {
	if registry == "" {
		return "other"
	}
	if c.registries[registry] {
		return registry
	}
	if len(c.registries) >= maxRegistryLabels {
		return "other"
	}
	c.registries[registry] = true
	return registry
}

// load reads the cache a previous leader wrote, once.
func (c *Controller) load(ctx context.Context) error {
	if c.loaded {
		return nil
	}
	cm := &corev1.ConfigMap{}
	err := c.client.Get(ctx, types.NamespacedName{Namespace: c.namespace, Name: v1alpha1.ImagePlatformsName}, cm)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("reading %s: %w", v1alpha1.ImagePlatformsName, err)
	default:
		if err := c.cache.Load(cm.Data); err != nil {
			log.FromContext(ctx).Info("image cache state not loaded; starting empty", "error", err.Error())
		}
		c.written = cm.Data
	}
	c.loaded = true
	return nil
}

// write applies the ConfigMap when its content changed.
func (c *Controller) write(ctx context.Context) error {
	data, err := c.cache.Data()
	if err != nil {
		return err
	}
	c.setEntryMetrics()
	if maps.Equal(data, c.written) {
		return nil
	}
	cm := corev1ac.ConfigMap(v1alpha1.ImagePlatformsName, c.namespace).
		WithLabels(map[string]string{"app.kubernetes.io/name": "jobfit", "app.kubernetes.io/component": "scaler"}).
		WithData(data)
	if err := c.client.Apply(ctx, cm, client.FieldOwner(v1alpha1.ScalerFieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s: %w", v1alpha1.ImagePlatformsName, err)
	}
	c.written = data
	return nil
}

func (c *Controller) setEntryMetrics() {
	known := len(c.cache.Platforms())
	c.metrics.ImageCacheEntries.WithLabelValues("known").Set(float64(known))
	c.metrics.ImageCacheEntries.WithLabelValues("unknown").Set(float64(c.cache.Len() - known))
}

// Register adds the controller to mgr: one request, triggered by job pods
// being created and by the cluster policies (their pre-warm lists; at
// start, their informer's first list), and requeued every sync period
// (tags past their TTL, failures past their back-off).
func (c *Controller) Register(_ context.Context, mgr ctrl.Manager) error {
	key := types.NamespacedName{Namespace: c.namespace, Name: v1alpha1.ImagePlatformsName}
	created := predicate.Funcs{
		UpdateFunc: func(event.UpdateEvent) bool { return false },
		DeleteFunc: func(event.DeleteEvent) bool { return false },
	}
	clusterPolicies := predicate.NewPredicateFuncs(func(obj client.Object) bool {
		return obj.GetNamespace() == c.namespace && obj.GetLabels()[v1alpha1.PolicyLabel] == v1alpha1.PolicyKindCluster
	})
	return ctrl.NewControllerManagedBy(mgr).Named(c.Name()).
		Watches(&corev1.Pod{}, trigger.Enqueue(key), builder.WithPredicates(trigger.JobPods, created)).
		Watches(&corev1.ConfigMap{}, trigger.Enqueue(key), builder.WithPredicates(clusterPolicies)).
		Complete(c)
}
