// Package nodepool is the scaler's NodePool controller: it tunes the
// behavioural fields of the NodePools the ScalerPolicy lists (spec.weight
// from the spot fallback, spec.limits, spec.disruption.consolidateAfter),
// asking the pure planners scaler/fallback, scaler/limits and
// scaler/consolidation, in one server-side apply per pool (fields.go).
package nodepool

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/config"
	"jobfit.dev/jobfit/scaler/consolidation"
	"jobfit.dev/jobfit/scaler/fallback"
	"jobfit.dev/jobfit/scaler/limits"
	"jobfit.dev/jobfit/scaler/metrics"
	"jobfit.dev/jobfit/scaler/observe"
	"jobfit.dev/jobfit/scaler/pressure"
	"jobfit.dev/jobfit/scaler/trigger"
)

// Controller tunes the behavioural fields of the NodePools listed
// in the ScalerPolicy: spec.weight (fallback), spec.limits and
// spec.disruption.consolidateAfter.
type Controller struct {
	clock    clock.PassiveClock
	client   client.Client
	observer *observe.Observer
	policies *config.Store
	fallback *fallback.Latest
	recorder events.EventRecorder
	metrics  *metrics.Metrics
	period   time.Duration

	mu       sync.Mutex
	lastBusy map[string]time.Time
	arrivals *consolidation.Arrivals
	reported map[string]string // dry run: the last change reported per pool
}

// NewController returns the NodePool controller.
func NewController(clk clock.PassiveClock, c client.Client, policies *config.Store, fb *fallback.Latest,
	recorder events.EventRecorder, m *metrics.Metrics, period time.Duration) *Controller {
	return &Controller{clock: clk, client: c, observer: observe.New(c), policies: policies, fallback: fb,
		recorder: recorder, metrics: m, period: period,
		lastBusy: map[string]time.Time{}, arrivals: consolidation.NewArrivals(), reported: map[string]string{}}
}

// Name is the controller's name.
func (c *Controller) Name() string { return "scaler.nodepool" }

// Reconcile plans np's managed fields and applies them when they changed.
func (c *Controller) Reconcile(ctx context.Context, np *karpv1.NodePool) (reconcile.Result, error) {
	p := c.policies.Get()
	if p == nil {
		return reconcile.Result{RequeueAfter: config.NoPolicyRetry}, nil
	}
	entry, ok := p.Pool(np.Name)
	if !ok {
		return reconcile.Result{}, nil
	}
	now := c.clock.Now()
	snap, pods, err := c.observer.Snapshot(ctx, now)
	if err != nil {
		return reconcile.Result{}, err
	}
	desired, ok := c.plan(p, entry, np, snap, pods)
	if !ok {
		return reconcile.Result{RequeueAfter: time.Second}, nil // the fallback has not run yet
	}
	stored := current(np, desired)
	if equality.Semantic.DeepEqual(stored, desired) {
		c.forget(np.Name)
		return reconcile.Result{RequeueAfter: c.period}, nil
	}
	ch := changes(stored, desired)
	if p.DryRun {
		c.reportDryRun(np, ch)
		return reconcile.Result{RequeueAfter: c.period}, nil
	}
	if err := c.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(applyObject(np.Name, desired)),
		client.FieldOwner(v1alpha1.ScalerFieldManager), client.ForceOwnership); err != nil {
		return reconcile.Result{}, fmt.Errorf("applying nodepool %s: %w", np.Name, err)
	}
	for field := range ch {
		c.metrics.NodePoolChanges.WithLabelValues(np.Name, field).Inc()
	}
	c.recorder.Eventf(np, nil, corev1.EventTypeNormal, "NodePoolTuned", "Apply", "jobfit-scaler set %s", describe(ch))
	log.FromContext(ctx).Info("nodepool tuned", "nodepool", np.Name, "changes", describe(ch))
	return reconcile.Result{RequeueAfter: c.period}, nil
}

// plan computes the desired managed fields; false means it cannot yet.
func (c *Controller) plan(p *v1alpha1.ScalerPolicy, entry v1alpha1.ScalerNodePool, np *karpv1.NodePool,
	snap *pressure.Snapshot, pods []*corev1.Pod) (poolFields, bool) {
	var f poolFields
	if entry.Role == v1alpha1.RoleOnDemand && p.FallbackEnabled() && entry.Weight != nil {
		st, ready := c.fallback.Get()
		if !ready {
			return f, false
		}
		f.Weight = new(fallback.Weight(p.Fallback, st, *entry.Weight))
	}
	demand := snap.Pool(np.Name)
	if rng, ok := p.Limits.NodePools[np.Name]; ok {
		res := limits.Plan(rng, p.Limits.ShrinkAfter.Value(), limits.Input{
			Current: corev1.ResourceList(np.Spec.Limits), Usage: np.Status.Resources,
			PendingMilliCPU: demand.PendingMilliCPU, PendingMemory: demand.PendingMemory,
			LastBusy: c.busySince(np.Name, demand.Pending > 0, snap.Now),
		}, snap.Now)
		f.Limits = res.Limits
		for name, at := range res.AtCeiling {
			c.metrics.NodePoolAtCeiling.WithLabelValues(np.Name, string(name)).Set(boolFloat(at))
		}
	}
	cp := p.Consolidation
	if cp.Enabled && (len(cp.NodePools) == 0 || slices.Contains(cp.NodePools, np.Name)) {
		wasBusy := np.Spec.Disruption.ConsolidateAfter.Duration != nil && *np.Spec.Disruption.ConsolidateAfter.Duration == cp.Busy.Value()
		earlier, recent := c.arrivalHalves(pods, snap.Now, cp.Window.Value())
		busy := consolidation.Busy(cp, wasBusy, earlier+recent)
		f.ConsolidateAfter = new(consolidation.ConsolidateAfter(cp, busy, consolidation.Falling(earlier, recent)))
	}
	return f, true
}

// busySince returns the last time the pool had pending demand. A pool seen
// for the first time counts as busy now, so that a restart never shrinks
// limits early.
func (c *Controller) busySince(pool string, busy bool, now time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.lastBusy[pool]; ok && !busy {
		return t
	}
	c.lastBusy[pool] = now
	return now
}

func (c *Controller) arrivalHalves(pods []*corev1.Pod, now time.Time, window time.Duration) (earlier, recent int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, pod := range pods {
		if now.Sub(pod.CreationTimestamp.Time) <= window {
			c.arrivals.Observe(pod.UID, pod.CreationTimestamp.Time)
		}
	}
	return c.arrivals.Halves(now, window)
}

// reportDryRun records what would change, once per distinct change.
func (c *Controller) reportDryRun(np *karpv1.NodePool, ch map[string]string) {
	msg := describe(ch)
	c.mu.Lock()
	seen := c.reported[np.Name] == msg
	c.reported[np.Name] = msg
	c.mu.Unlock()
	if seen {
		return
	}
	for field := range ch {
		c.metrics.NodePoolChanges.WithLabelValues(np.Name, field).Inc()
	}
	c.recorder.Eventf(np, nil, corev1.EventTypeNormal, "NodePoolTuned", "DryRun", "dry run: jobfit-scaler would set %s", msg)
}

func (c *Controller) forget(pool string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.reported, pool)
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Register adds the NodePool controller to mgr: NodePools, plus every
// listed NodePool whenever job pods or jobfit's ConfigMaps change.
func (c *Controller) Register(_ context.Context, mgr ctrl.Manager) error {
	allPools := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		p := c.policies.Get()
		if p == nil {
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(p.NodePools))
		for _, np := range p.NodePools {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: np.Name}})
		}
		return reqs
	})
	return ctrl.NewControllerManagedBy(mgr).Named(c.Name()).
		For(&karpv1.NodePool{}).
		Watches(&corev1.Pod{}, allPools, builder.WithPredicates(trigger.JobPods)).
		Watches(&corev1.ConfigMap{}, allPools).
		Complete(reconcile.AsReconciler[*karpv1.NodePool](mgr.GetClient(), c))
}
