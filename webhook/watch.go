package webhook

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	ctrlsource "sigs.k8s.io/controller-runtime/pkg/source"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/policy/source"
	"jobfit.dev/jobfit/webhook/certs"
)

// Request names: the watcher reconciles one thing per request, whichever
// ConfigMap of that kind changed.
const (
	requestCluster   = "cluster"
	requestNamespace = "namespace"
	requestStatus    = "capacity-status"
	requestImages    = "image-platforms"
)

var _ reconcile.Reconciler = (*Watcher)(nil)

// Watcher keeps a Store in step with the policy and capacity-status
// ConfigMaps. It runs on every replica, elected or not.
type Watcher struct {
	reader    client.Reader
	recorder  events.EventRecorder
	store     *Store
	refs      *References // nil: references are not checked at load
	namespace string

	// seen is the resourceVersion last loaded per request, so that resyncs
	// and unrelated ConfigMap changes do not reload or re-report.
	seen map[types.NamespacedName]string
	// nsInfo is the jobfit_policy_info series of each namespace.
	nsInfo map[string][2]string
	// candidates are the cluster policy ConfigMaps by name, as last loaded.
	candidates map[string]clusterCandidate
}

// SetupWatcher adds a Watcher for jobfit's namespace to mgr; with refs, a
// policy put in force that names a missing object gets a
// PolicyReferenceMissing Event. It caches
// every ConfigMap in jobfit's namespace, and in other namespaces only those
// labelled jobfit.dev/policy=namespace.
func SetupWatcher(mgr ctrl.Manager, namespace string, store *Store, refs *References) error {
	nsSelector := labels.SelectorFromSet(labels.Set{v1alpha1.PolicyLabel: KindNamespace})
	c, err := cache.New(mgr.GetConfig(), cache.Options{
		Scheme: mgr.GetScheme(),
		Mapper: mgr.GetRESTMapper(),
		ByObject: map[client.Object]cache.ByObject{&corev1.ConfigMap{}: {Namespaces: map[string]cache.Config{
			namespace:           {},
			cache.AllNamespaces: {LabelSelector: nsSelector},
		}}},
	})
	if err != nil {
		return fmt.Errorf("creating policy cache: %w", err)
	}
	if err := mgr.Add(certs.ReplicaCache{Cache: c}); err != nil {
		return fmt.Errorf("registering policy cache: %w", err)
	}
	w := &Watcher{
		reader:    c,
		recorder:  mgr.GetEventRecorder("jobfit-webhook"),
		store:     store,
		refs:      refs,
		namespace: namespace,
		seen:      map[types.NamespacedName]string{},
		nsInfo:    map[string][2]string{},
	}
	ctl, err := controller.NewUnmanaged("jobfit-policy-watch", controller.Options{
		Reconciler:         w,
		NeedLeaderElection: ptr.To(false),
		SkipNameValidation: mgr.GetControllerOptions().SkipNameValidation,
		Logger:             mgr.GetLogger(),
	})
	if err != nil {
		return fmt.Errorf("creating policy watcher: %w", err)
	}
	if err := ctl.Watch(ctrlsource.Kind(c, &corev1.ConfigMap{}, handler.TypedEnqueueRequestsFromMapFunc(w.requestFor))); err != nil {
		return fmt.Errorf("watching configmaps: %w", err)
	}
	if err := mgr.Add(ctl); err != nil {
		return fmt.Errorf("registering policy watcher: %w", err)
	}
	return nil
}

// requestFor maps a ConfigMap to the thing it configures.
func (w *Watcher) requestFor(_ context.Context, cm *corev1.ConfigMap) []reconcile.Request {
	kind := cm.Labels[v1alpha1.PolicyLabel]
	var name string
	switch {
	case cm.Namespace == w.namespace && cm.Name == v1alpha1.CapacityStatusName:
		name = requestStatus
	case cm.Namespace == w.namespace && cm.Name == v1alpha1.ImagePlatformsName:
		name = requestImages
	case !source.MayHoldPolicy(cm.Name):
		return nil
	case cm.Namespace == w.namespace && kind == KindCluster:
		name = requestCluster
	case cm.Namespace != w.namespace && kind == KindNamespace:
		name = requestNamespace
	default:
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: cm.Namespace, Name: name}}}
}

// Reconcile loads whichever document req stands for.
func (w *Watcher) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var err error
	switch req.Name {
	case requestCluster:
		err = w.reconcileCluster(ctx)
	case requestNamespace:
		err = w.reconcileNamespace(ctx, req.Namespace)
	case requestStatus:
		err = w.reconcileStatus(ctx)
	case requestImages:
		err = w.reconcileImages(ctx)
	}
	return reconcile.Result{}, err
}

// unchanged reports whether cm, at its resourceVersion, was already loaded
// for req, and remembers it as loaded otherwise.
func (w *Watcher) unchanged(req string, cm *corev1.ConfigMap) bool {
	key := types.NamespacedName{Namespace: cm.Namespace, Name: req}
	v := cm.Name + "@" + cm.ResourceVersion
	if w.seen[key] == v {
		return true
	}
	w.seen[key] = v
	return false
}

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }
