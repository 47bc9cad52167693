// Package headroom is the scaler's headroom controller: it keeps the
// placeholder pods per arch that the planner jobfit.dev/jobfit/scaler/headroom
// (imported here under its own name) sizes, reading the room left on the
// nodes (room.go) and creating the owner they need (prereq.go).
package headroom

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/config"
	"jobfit.dev/jobfit/scaler/fallback"
	"jobfit.dev/jobfit/scaler/headroom"
	"jobfit.dev/jobfit/scaler/metrics"
	"jobfit.dev/jobfit/scaler/observe"
	"jobfit.dev/jobfit/scaler/pressure"
	"jobfit.dev/jobfit/scaler/trigger"
)

// OwnerName is the ConfigMap in the headroom namespace that owns
// every placeholder pod, so that deleting it (or the namespace) removes
// them all.
const OwnerName = "jobfit-headroom"

// Controller keeps placeholder pods per arch.
type Controller struct {
	clock     clock.PassiveClock
	client    client.Client
	reader    client.Reader
	observer  *observe.Observer
	policies  *config.Store
	fallback  *fallback.Latest
	recorder  events.EventRecorder
	metrics   *metrics.Metrics
	namespace string
	period    time.Duration
	history   *headroom.History
	reported  map[string]int // dry run: the last count reported per arch
	// pause counts GitLab Runner's pause pods by arch, as the last plan saw.
	pause map[string]int
	// busy lists the nodes that run more than placeholders, as the last plan
	// saw (nil when it did not read them).
	busy sets.Set[string]
	// schedulerNamespace is jobfit's, where the Lease of the placeholders'
	// scheduler (podTemplate.schedulerName) is read (WithSchedulerNamespace);
	// it defaults to namespace.
	schedulerNamespace string
	// leases memoizes schedulerRunning within one reconcile (one read per
	// scheduler, not one per arch); Reconcile resets it.
	leases map[string]bool
}

// NewController returns the headroom controller whose placeholders
// live in namespace, the headroom namespace (scaler.Options.HeadroomNamespace).
// reader is an uncached reader (the manager's API reader): placeholders
// and their prerequisites are read live, so that a pod just created is
// never created twice because the cache has not seen it yet.
//
// Placeholders follow the spot fallback: while an arch's spot is degraded,
// its spot placeholders (which could not be scheduled) are replaced by
// on-demand ones.
func NewController(clk clock.PassiveClock, c client.Client, reader client.Reader, policies *config.Store, fb *fallback.Latest,
	recorder events.EventRecorder, m *metrics.Metrics, namespace string, period time.Duration) *Controller {
	return &Controller{clock: clk, client: c, reader: reader, observer: observe.New(c), policies: policies, fallback: fb, recorder: recorder,
		metrics: m, namespace: namespace, period: period, history: headroom.NewHistory(), reported: map[string]int{},
		schedulerNamespace: namespace}
}

// WithSchedulerNamespace sets jobfit's namespace, where the Lease of the
// placeholders' scheduler is read, when it differs from the headroom
// namespace; it returns c.
func (c *Controller) WithSchedulerNamespace(namespace string) *Controller {
	c.schedulerNamespace = namespace
	return c
}

// Name is the controller's name.
func (c *Controller) Name() string { return "scaler.headroom" }

// Reconcile brings the placeholders of every arch to their planned count.
func (c *Controller) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	p := c.policies.Get()
	if p == nil {
		return reconcile.Result{RequeueAfter: config.NoPolicyRetry}, nil
	}
	c.leases = map[string]bool{}
	existing, err := c.placeholders(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	want, snap, err := c.plan(ctx, p, existing)
	if err != nil {
		return reconcile.Result{}, err
	}
	c.report(existing, want)
	if p.DryRun {
		c.reportDryRun(want)
		return reconcile.Result{RequeueAfter: c.period}, nil
	}
	// The prerequisites are read live, and only when a placeholder is to be
	// created: a reconcile runs on every job pod event, and most create none.
	owner := sync.OnceValues(func() (*metav1.OwnerReference, error) { return c.ensurePrerequisites(ctx) })
	arches := make([]string, 0, len(existing)+len(want))
	for arch := range existing {
		arches = append(arches, arch)
	}
	for arch := range want {
		if _, ok := existing[arch]; !ok {
			arches = append(arches, arch)
		}
	}
	sort.Strings(arches)
	for _, arch := range arches {
		if err := c.converge(ctx, p, snap, arch, existing[arch], want[arch], owner); err != nil {
			return reconcile.Result{}, err
		}
	}
	return reconcile.Result{RequeueAfter: c.period}, nil
}

// plan returns the placeholder count per arch; none when headroom is off.
// existing are the placeholders per arch: those pending take the room of
// the nodes that boot for them.
func (c *Controller) plan(ctx context.Context, p *v1alpha1.ScalerPolicy, existing map[string][]*corev1.Pod) (map[string]int, *pressure.Snapshot, error) {
	now := c.clock.Now()
	snap, pause, err := c.observer.SnapshotAndPause(ctx, now)
	if err != nil {
		return nil, nil, err
	}
	c.pause = pause
	c.busy = nil
	var nodes map[roomKey]*rooms
	want := map[string]int{}
	for arch, cfg := range p.Headroom.PerArch {
		c.history.Add(arch, headroom.Sample{At: now, Demand: snap.Concurrent(arch)}, cfg.Window.Value())
		switch {
		case !p.Headroom.Enabled:
		case cfg.LeadTime.IsZero():
			want[arch] = headroom.Count(cfg, c.history.Quantile(arch, cfg.Quantile), now)
		default:
			if nodes == nil {
				if nodes, c.busy, err = c.nodeRooms(ctx, p); err != nil {
					return nil, nil, err
				}
			}
			tmpl := c.template(p, arch)
			size := headroom.Size(tmpl, snap, arch)
			free := c.free(nodes, snap, existing[arch], arch, tmpl.CapacityType, size)
			want[arch] = headroom.CountByArrivals(cfg, c.history.Growth(arch, cfg.LeadTime.Value(), cfg.Quantile), free, now)
		}
		if n, ok := want[arch]; ok {
			// GitLab Runner's pause pods hold job-sized room that jobs
			// preempt, as placeholders do: the same room is not bought twice.
			want[arch] = headroom.LessPausePods(n, pause[arch])
		}
	}
	return want, snap, nil
}

// free counts the job-sized slots of arch's nodes of capacityType, ready
// and booting (headroom.Free).
func (c *Controller) free(all map[roomKey]*rooms, snap *pressure.Snapshot, placeholders []*corev1.Pod,
	arch, capacityType string, size corev1.ResourceList) int {
	r := all[roomKey{arch: arch, capacityType: capacityType}]
	if r == nil {
		return 0
	}
	return headroom.Free(r.ready, r.booting, pendingFor(snap, placeholders, arch, capacityType),
		pressure.Size{MilliCPU: size.Cpu().MilliValue(), Memory: size.Memory().Value()})
}

func (c *Controller) placeholders(ctx context.Context) (map[string][]*corev1.Pod, error) {
	var list corev1.PodList
	if err := c.reader.List(ctx, &list, client.InNamespace(c.namespace), client.HasLabels{v1alpha1.HeadroomLabel}); err != nil {
		return nil, fmt.Errorf("listing headroom pods: %w", err)
	}
	out := map[string][]*corev1.Pod{}
	for i := range list.Items {
		pod := &list.Items[i]
		arch := pod.Labels[v1alpha1.HeadroomLabel]
		out[arch] = append(out[arch], pod)
	}
	return out, nil
}

func (c *Controller) converge(ctx context.Context, p *v1alpha1.ScalerPolicy, snap *pressure.Snapshot,
	arch string, existing []*corev1.Pod, want int, owner func() (*metav1.OwnerReference, error)) error {
	tmpl := c.template(p, arch)
	if tmpl.SchedulerName != "" && !c.schedulerRunning(ctx, tmpl.SchedulerName) {
		log.FromContext(ctx).Info("the placeholders' scheduler is not running (its Lease is not held); placeholders use the default scheduler",
			"scheduler", tmpl.SchedulerName, "lease", c.schedulerNamespace+"/"+tmpl.SchedulerName)
		tmpl.SchedulerName = ""
	}
	keep, remove := headroom.SplitStale(existing, tmpl)
	create, excess := headroom.Diff(keep, want, c.busy)
	remove = append(remove, excess...)
	for _, pod := range remove {
		if err := c.client.Delete(ctx, pod, client.GracePeriodSeconds(0)); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("deleting headroom pod %s: %w", pod.Name, err)
		}
	}
	if create > 0 {
		ref, err := owner()
		if err != nil {
			return err
		}
		size := headroom.Size(tmpl, snap, arch)
		for range create {
			pod := headroom.Pod(tmpl, arch, c.namespace, size, *ref)
			if err := c.client.Create(ctx, pod, client.FieldOwner(v1alpha1.ScalerFieldManager)); err != nil {
				return fmt.Errorf("creating headroom pod for %s: %w", arch, err)
			}
		}
	}
	if create > 0 || len(remove) > 0 {
		log.FromContext(ctx).Info("headroom changed", "arch", arch, "created", create, "deleted", len(remove), "want", want)
	}
	return nil
}

// template is the placeholder template for arch: on-demand instead of spot
// while the fallback says arch's spot is degraded. converge also falls
// back to the default scheduler while podTemplate.schedulerName is not
// running.
func (c *Controller) template(p *v1alpha1.ScalerPolicy, arch string) v1alpha1.HeadroomPodTemplate {
	t := p.Headroom.PodTemplate
	if st, _ := c.fallback.Get(); t.CapacityType == v1alpha1.CapacitySpot && st.Status().IsDegraded(arch, v1alpha1.CapacitySpot) {
		t.CapacityType = v1alpha1.CapacityOnDemand
	}
	return t
}

// schedulerRunning reads the Lease named after the scheduler in jobfit's
// namespace from the cache (policy.LeaseHeld): the scheduler renews it
// every few seconds and a pass runs on every job pod event, so a live read
// would cost the API server one GET per pass for a watch's worth of news.
func (c *Controller) schedulerRunning(ctx context.Context, name string) bool {
	if running, ok := c.leases[name]; ok {
		return running
	}
	l := &coordinationv1.Lease{}
	running := c.client.Get(ctx, client.ObjectKey{Namespace: c.schedulerNamespace, Name: name}, l) == nil &&
		policy.LeaseHeld(l, c.clock.Now())
	c.leases[name] = running
	return running
}

func (c *Controller) report(existing map[string][]*corev1.Pod, want map[string]int) {
	c.metrics.HeadroomPods.Reset()
	for arch, n := range want {
		c.metrics.HeadroomPods.WithLabelValues(arch, "desired").Set(float64(n))
	}
	for arch, n := range c.pause {
		if arch != "" {
			c.metrics.HeadroomPods.WithLabelValues(arch, "runner-pause").Set(float64(n))
		}
	}
	for arch, pods := range existing {
		for _, pod := range pods {
			state := "pending"
			if pod.Spec.NodeName != "" {
				state = "running"
			}
			c.metrics.HeadroomPods.WithLabelValues(arch, state).Inc()
		}
	}
}

func (c *Controller) reportDryRun(want map[string]int) {
	ref := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: OwnerName, Namespace: c.namespace}}
	ref.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	for arch, n := range want {
		if last, ok := c.reported[arch]; ok && last == n {
			continue
		}
		c.reported[arch] = n
		c.recorder.Eventf(ref, nil, corev1.EventTypeNormal, "HeadroomPlanned", "DryRun", "dry run: would keep %d %s placeholders", n, arch)
	}
}

// Register adds the headroom controller to mgr, triggered by job pods, its
// own placeholders and the policy. Every ConfigMap in the cache is in
// jobfit's namespace (scaler.CacheOptions), which may differ from the headroom
// namespace, so ConfigMaps are not filtered by namespace here.
func (c *Controller) Register(_ context.Context, mgr ctrl.Manager) error {
	key := types.NamespacedName{Namespace: c.namespace, Name: OwnerName}
	return ctrl.NewControllerManagedBy(mgr).Named(c.Name()).
		Watches(&corev1.Pod{}, trigger.Enqueue(key), builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			_, headroom := o.GetLabels()[v1alpha1.HeadroomLabel]
			return headroom || trigger.IsJobPod(o) || o.GetLabels()[v1alpha1.LabelPausePod] == "true"
		}))).
		Watches(&corev1.ConfigMap{}, trigger.Enqueue(key)).
		Complete(c)
}
