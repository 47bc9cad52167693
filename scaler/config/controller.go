package config

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/policy/source"
	"jobfit.dev/jobfit/scaler/trigger"
)

// Store holds the ScalerPolicy in force. A bad update leaves the previous
// policy in force; before any good policy the scaler does nothing.
type Store struct {
	mu sync.RWMutex
	p  *v1alpha1.ScalerPolicy
}

// Get returns the policy in force, or nil.
func (s *Store) Get() *v1alpha1.ScalerPolicy {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.p
}

// Set puts p in force.
func (s *Store) Set(p *v1alpha1.ScalerPolicy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p = p
}

// Controller keeps the ScalerPolicy in force in a Store, by the rule of
// policy/source: of the ConfigMaps labelled jobfit.dev/policy=scaler in
// jobfit's namespace, invalid ones are rejected (a PolicyRejected Event)
// and ignored, exactly one valid one is put in force, and several valid
// ones are a conflict (a PolicyConflict Event on each) that keeps the last
// good policy. The webhook and kubectl jobfit decide with the same rule.
type Controller struct {
	client   client.Reader
	store    *Store
	recorder events.EventRecorder
	key      types.NamespacedName
	// seen is the candidates last decided on ("name@resourceVersion,..."),
	// so that resyncs neither reload nor report again.
	seen string
}

// NewController watches the ConfigMaps labelled jobfit.dev/policy=scaler in
// key.Namespace, or, when key.Name is set, that one ConfigMap alone.
func NewController(c client.Reader, store *Store, recorder events.EventRecorder, key types.NamespacedName) *Controller {
	return &Controller{client: c, store: store, recorder: recorder, key: key}
}

// Name is the controller's name.
func (c *Controller) Name() string { return "scaler.policy" }

// Reconcile decides which ScalerPolicy is in force; every request means
// "the candidates changed".
func (c *Controller) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	items, err := c.candidates(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	if c.unchanged(items) {
		return reconcile.Result{}, nil
	}
	d := source.Decide(source.Load(items, func(cm *corev1.ConfigMap) (*v1alpha1.ScalerPolicy, field.ErrorList) {
		return Load(source.Document(cm))
	}))
	for _, cand := range d.Invalid {
		note := "keeping the last good scaler policy: " + cand.Errs.ToAggregate().Error()
		c.recorder.Eventf(cand.ConfigMap, nil, corev1.EventTypeWarning, v1alpha1.ReasonPolicyRejected, "Load", "%s", note)
		log.FromContext(ctx).Info("scaler policy rejected", "configmap", cand.ConfigMap.Name, "errors", cand.Errs.ToAggregate().Error())
	}
	switch d.Outcome {
	case source.InForce:
		c.store.Set(d.InForce.Policy)
		log.FromContext(ctx).V(1).Info("scaler policy loaded", "configmap", d.InForce.ConfigMap.Name, "dryRun", d.InForce.Policy.DryRun)
	case source.Conflict:
		note := source.ConflictNote(v1alpha1.PolicyKindScaler, d.Valid)
		for _, cand := range d.Valid {
			c.recorder.Eventf(cand.ConfigMap, nil, corev1.EventTypeWarning, v1alpha1.ReasonPolicyConflict, "Load", "%s", note)
		}
		log.FromContext(ctx).Info("scaler policy conflict; keeping the last good policy", "configmaps", d.Why("the scaler"))
	}
	return reconcile.Result{}, nil
}

// candidates lists the ConfigMaps that may hold the scaler's policy.
func (c *Controller) candidates(ctx context.Context) ([]*corev1.ConfigMap, error) {
	if c.key.Name != "" {
		cm := &corev1.ConfigMap{}
		if err := c.client.Get(ctx, c.key, cm); err != nil {
			return nil, client.IgnoreNotFound(err)
		}
		return source.Candidates([]corev1.ConfigMap{*cm}), nil
	}
	list := &corev1.ConfigMapList{}
	if err := c.client.List(ctx, list, client.InNamespace(c.key.Namespace),
		client.MatchingLabels{v1alpha1.PolicyLabel: v1alpha1.PolicyKindScaler}); err != nil {
		return nil, fmt.Errorf("listing scaler policy configmaps in %s: %w", c.key.Namespace, err)
	}
	return source.Candidates(list.Items), nil
}

// unchanged reports whether items, at their resourceVersions, are the
// candidates last decided on, and remembers them.
func (c *Controller) unchanged(items []*corev1.ConfigMap) bool {
	v := source.Versions(items)
	if v == c.seen {
		return true
	}
	c.seen = v
	return false
}

func (c *Controller) matches(obj client.Object) bool {
	if obj.GetNamespace() != c.key.Namespace {
		return false
	}
	if c.key.Name != "" {
		return obj.GetName() == c.key.Name
	}
	return obj.GetLabels()[v1alpha1.PolicyLabel] == v1alpha1.PolicyKindScaler && source.MayHoldPolicy(obj.GetName())
}

// Register adds the controller to mgr.
func (c *Controller) Register(_ context.Context, mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(c.Name()).
		// Every candidate maps to one request: the rule decides over all of
		// them together, and a deleted one may end a conflict.
		Watches(&corev1.ConfigMap{}, trigger.Enqueue(types.NamespacedName{Namespace: c.key.Namespace, Name: v1alpha1.PolicyKindScaler}),
			builder.WithPredicates(predicate.NewPredicateFuncs(c.matches))).
		Complete(c)
}

// NoPolicyRetry is how soon a controller looks again while no good policy
// has been loaded yet, typically just after start-up.
const NoPolicyRetry = time.Second
