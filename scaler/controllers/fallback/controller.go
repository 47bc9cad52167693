// Package fallback is the scaler's fallback controller: it maintains the
// capacity status that the webhook reads (the jobfit-capacity-status
// ConfigMap, read and written in status.go). Each pass it asks the planner
// jobfit.dev/jobfit/scaler/fallback (imported here under its own name)
// which arches' spot is degraded and shares the answer (fallback.Latest)
// with the NodePool and headroom controllers; it classifies the NodeClaims
// that went away (nodeclaims.go) and lists the jobs they interrupted
// (interrupted.go), reports the node classes behind the managed pools
// (nodeclasses.go) and each runner's job mix (runnermix.go), and sets the
// pressure metrics (pressure.go).
package fallback

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/config"
	"jobfit.dev/jobfit/scaler/fallback"
	"jobfit.dev/jobfit/scaler/metrics"
	"jobfit.dev/jobfit/scaler/observe"
	"jobfit.dev/jobfit/scaler/signals"
	"jobfit.dev/jobfit/scaler/trigger"
)

// Controller maintains the jobfit-capacity-status ConfigMap.
type Controller struct {
	clock     clock.PassiveClock
	client    client.Client
	observer  *observe.Observer
	policies  *config.Store
	shared    *fallback.Latest
	recorder  events.EventRecorder
	metrics   *metrics.Metrics
	reporter  *reporter
	classes   nodeClasses
	deleted   deletedNodeClaims
	namespace string
	seeded    bool
	period    time.Duration
	// claims are the NodeClaims deleted in the last pendingAfter, by UID,
	// as classified when first seen; lastClasses are the node class states
	// of the last pass. Only Reconcile touches them.
	claims      map[types.UID]classified
	lastClasses []signals.NodeClassState
	interrupted interruptions
	mix         mixJobs
}

// NewController returns the fallback controller for namespace.
func NewController(clk clock.PassiveClock, c client.Client, policies *config.Store, shared *fallback.Latest,
	recorder events.EventRecorder, m *metrics.Metrics, namespace string, period time.Duration) *Controller {
	return &Controller{clock: clk, client: c, observer: observe.New(c), policies: policies, shared: shared,
		recorder: recorder, metrics: m, reporter: newReporter(m), classes: nodeClasses{client: c}, namespace: namespace, period: period}
}

// Name is the controller's name.
func (c *Controller) Name() string { return "scaler.fallback" }

// Reconcile plans the capacity status from the pending job pods, the spot
// NodeClaims that failed and the node classes behind the managed pools, and
// writes it when it changed.
func (c *Controller) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	p := c.policies.Get()
	if p == nil {
		return reconcile.Result{RequeueAfter: config.NoPolicyRetry}, nil
	}
	now := c.clock.Now()
	current, err := c.readStatus(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	prev, _ := c.shared.Get()
	if !c.seeded {
		prev, c.seeded = fallback.Seed(current, now), true
	}
	gaveUp, err := c.observer.KarpenterGaveUp(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	snap, pods, err := c.observer.SnapshotWith(ctx, now, gaveUp)
	if err != nil {
		return reconcile.Result{}, err
	}
	c.reporter.report(snap, pods)
	classes, err := c.nodeClassStates(ctx, p)
	if err != nil {
		return reconcile.Result{}, err
	}
	failures, err := c.spotFailures(ctx, p, classes, now)
	if err != nil {
		return reconcile.Result{}, err
	}
	next := fallback.State{}
	if p.FallbackEnabled() {
		next = fallback.Next(p.Fallback, prev, snap, failures)
	}
	c.shared.Set(next)
	c.reportDegraded(next)
	c.reportNodeClasses(classes)
	before := prev.Status()
	before.NodeClassesNotReady = c.previousNotReady(current)
	desired := next.Status()
	desired.NodeClassesNotReady = notReady(classes)
	desired.InterruptedJobs = c.updateInterrupted(current, pods, now)
	if c.mix == nil {
		c.mix = mixJobs{}
	}
	desired.RunnerMixes = c.mix.update(pods, now)
	c.lastClasses = classes
	c.recordTransition(before, desired, p.DryRun)
	if p.DryRun || sameStatus(desired, current) {
		return reconcile.Result{RequeueAfter: c.period}, nil
	}
	if err := c.writeStatus(ctx, desired); err != nil {
		return reconcile.Result{}, err
	}
	log.FromContext(ctx).Info("capacity status changed", "degraded", len(desired.Degraded), "nodeClassesNotReady", len(desired.NodeClassesNotReady),
		"interruptedJobs", len(desired.InterruptedJobs))
	return reconcile.Result{RequeueAfter: c.period}, nil
}

// nodeClassStates reads the node classes of the managed pools.
func (c *Controller) nodeClassStates(ctx context.Context, p *v1alpha1.ScalerPolicy) ([]signals.NodeClassState, error) {
	pools, err := c.observer.NodePools(ctx)
	if err != nil {
		return nil, err
	}
	return c.classes.check(ctx, p, pools)
}

// previousNotReady is what the last pass found, or on the first pass what
// the status read back says, so that a new leader repeats no Event.
func (c *Controller) previousNotReady(current v1alpha1.CapacityStatus) []v1alpha1.NodeClassCondition {
	if c.lastClasses == nil {
		return current.NodeClassesNotReady
	}
	return notReady(c.lastClasses)
}

// Register adds the fallback controller to mgr: one request, triggered by
// job pods, Karpenter's FailedScheduling Events, NodeClaims being deleted
// and the status ConfigMap, and requeued
// every sync period (which also re-reads the EC2NodeClasses: they are not
// watched, so that a cluster without that CRD still starts).
func (c *Controller) Register(_ context.Context, mgr ctrl.Manager) error {
	key := types.NamespacedName{Namespace: c.namespace, Name: v1alpha1.CapacityStatusName}
	return ctrl.NewControllerManagedBy(mgr).Named(c.Name()).
		Watches(&corev1.Pod{}, trigger.Enqueue(key), builder.WithPredicates(trigger.JobPods)).
		Watches(&karpv1.NodeClaim{}, c.nodeClaimEvents(key)).
		Watches(&corev1.Event{}, trigger.Enqueue(key), builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			e, ok := o.(*corev1.Event)
			return ok && e.Reason == signals.ReasonFailedScheduling
		}))).
		Watches(&corev1.ConfigMap{}, trigger.Enqueue(key), builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			return o.GetNamespace() == c.namespace
		}))).
		Complete(c)
}
