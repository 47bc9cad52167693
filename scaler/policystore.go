package scaler

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// noPolicyRetry is how soon a controller looks again while no good policy
// has been loaded yet, typically just after start-up.
const noPolicyRetry = time.Second

// PolicyStore holds the last good ScalerPolicy. A bad update leaves the
// previous policy in force; before any good policy the scaler does nothing.
type PolicyStore struct {
	mu sync.RWMutex
	p  *v1alpha1.ScalerPolicy
}

// Get returns the policy in force, or nil.
func (s *PolicyStore) Get() *v1alpha1.ScalerPolicy {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.p
}

// Set puts p in force.
func (s *PolicyStore) Set(p *v1alpha1.ScalerPolicy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p = p
}

// PolicyController loads the ScalerPolicy ConfigMap into a PolicyStore.
type PolicyController struct {
	client   client.Client
	store    *PolicyStore
	recorder events.EventRecorder
	key      types.NamespacedName
}

// NewPolicyController watches the ConfigMap key (or, when key.Name is
// empty, the ConfigMap labelled jobfit.dev/policy=scaler in key.Namespace).
func NewPolicyController(c client.Client, store *PolicyStore, recorder events.EventRecorder, key types.NamespacedName) *PolicyController {
	return &PolicyController{client: c, store: store, recorder: recorder, key: key}
}

// Name is the controller's name.
func (c *PolicyController) Name() string { return "scaler.policy" }

// Reconcile loads the policy from cm.
func (c *PolicyController) Reconcile(ctx context.Context, cm *corev1.ConfigMap) (reconcile.Result, error) {
	p, errs := policy.LoadScalerPolicy([]byte(cm.Data[policy.PolicyDataKey]))
	if len(errs) > 0 {
		c.recorder.Eventf(cm, nil, corev1.EventTypeWarning, "PolicyRejected", "Load", "keeping the last good scaler policy: %s", errs.ToAggregate().Error())
		log.FromContext(ctx).Info("scaler policy rejected", "configmap", cm.Name, "errors", errs.ToAggregate().Error())
		return reconcile.Result{}, nil
	}
	if p.Metadata.Name == "" {
		p.Metadata.Name = cm.Name
	}
	c.store.Set(p)
	log.FromContext(ctx).V(1).Info("scaler policy loaded", "configmap", cm.Name, "dryRun", p.DryRun)
	return reconcile.Result{}, nil
}

func (c *PolicyController) matches(obj client.Object) bool {
	if obj.GetNamespace() != c.key.Namespace {
		return false
	}
	if c.key.Name != "" {
		return obj.GetName() == c.key.Name
	}
	return obj.GetLabels()[policy.PolicyLabel] == "scaler" && policy.MayHoldPolicy(obj.GetName())
}

// Register adds the controller to mgr.
func (c *PolicyController) Register(_ context.Context, mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(c.Name()).
		For(&corev1.ConfigMap{}, builder.WithPredicates(predicate.NewPredicateFuncs(c.matches))).
		Complete(reconcile.AsReconciler[*corev1.ConfigMap](mgr.GetClient(), c))
}
