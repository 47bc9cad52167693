// Package volumes is the scaler's volumes controller: it reports the job
// pods that wait because of a PersistentVolumeClaim, as the planner
// jobfit.dev/jobfit/scaler/volumes (imported here under its own name)
// finds them.
package volumes

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/metrics"
	"jobfit.dev/jobfit/scaler/trigger"
	"jobfit.dev/jobfit/scaler/volumes"
)

// Controller reports job pods that wait because of a
// PersistentVolumeClaim: a Warning Event on the pod naming the claim and
// the cause, once per pod and cause, and jobfit_job_pods_blocked_by_volume
// by reason. It writes nothing else and needs no ScalerPolicy, nor
// Karpenter: a NAS or EFS cache strands jobs on ECI and Fargate too.
type Controller struct {
	client   client.Client
	recorder events.EventRecorder
	metrics  *metrics.Metrics
	period   time.Duration
	// reported holds, per blocked pod, the claim and reason its Event
	// named, so that a pod gets one Event per cause, not one per pass.
	// Only Reconcile touches it.
	reported map[types.UID]string
}

// NewController returns the volumes controller.
func NewController(c client.Client, recorder events.EventRecorder, m *metrics.Metrics, period time.Duration) *Controller {
	return &Controller{client: c, recorder: recorder, metrics: m, period: period, reported: map[types.UID]string{}}
}

// Name is the controller's name.
func (c *Controller) Name() string { return "scaler.volumes" }

// Reconcile finds the job pods blocked by a volume and reports them.
func (c *Controller) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	var pods corev1.PodList
	if err := c.client.List(ctx, &pods); err != nil {
		return reconcile.Result{}, fmt.Errorf("listing pods: %w", err)
	}
	pending := waitingJobPods(pods.Items)
	if len(pending) == 0 {
		c.report(ctx, nil)
		return reconcile.Result{RequeueAfter: c.period}, nil
	}
	var claims corev1.PersistentVolumeClaimList
	if err := c.client.List(ctx, &claims); err != nil {
		return reconcile.Result{}, fmt.Errorf("listing persistent volume claims: %w", err)
	}
	c.report(ctx, volumes.Find(pending, volumes.NewCluster(claims.Items, pods.Items)))
	return reconcile.Result{RequeueAfter: c.period}, nil
}

// waitingJobPods are the job pods that have not started and mount a claim.
func waitingJobPods(pods []corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for i := range pods {
		p := &pods[i]
		if p.DeletionTimestamp != nil || (p.Status.Phase != corev1.PodPending && p.Status.Phase != "") || len(volumes.ClaimNames(p)) == 0 {
			continue
		}
		if ok, _ := policy.IsJobPod(p); ok {
			out = append(out, p)
		}
	}
	return out
}

// report sets the metric and records an Event for each pod blocked for a
// cause it was not reported for yet.
func (c *Controller) report(ctx context.Context, blocked []volumes.Blocked) {
	counts := map[string]int{}
	seen := make(map[types.UID]string, len(blocked))
	for _, b := range blocked {
		counts[b.Reason]++
		cause := b.Claim + "/" + b.Reason
		seen[b.UID] = cause
		if c.reported[b.UID] == cause {
			continue
		}
		ref := &corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: b.Pod.Namespace, Name: b.Pod.Name, UID: b.UID}
		// The action names the cause: the recorder folds Events that differ
		// only in their note into one series, which would hide a new cause.
		c.recorder.Eventf(ref, nil, corev1.EventTypeWarning, v1alpha1.ReasonJobBlockedByVolume, eventActions[b.Reason], "%s", b.Message)
		log.FromContext(ctx).Info("job pod blocked by volume", "pod", b.Pod.String(), "claim", b.Claim, "reason", b.Reason)
	}
	c.reported = seen
	for _, r := range volumes.Reasons {
		c.metrics.JobPodsBlockedByVolume.WithLabelValues(r).Set(float64(counts[r]))
	}
}

var eventActions = map[string]string{
	volumes.ReasonMissing: "ClaimMissing",
	volumes.ReasonUnbound: "ClaimUnbound",
	volumes.ReasonInUse:   "ClaimInUse",
}

// Register watches pods and claims; any change replans everything.
func (c *Controller) Register(_ context.Context, mgr ctrl.Manager) error {
	key := types.NamespacedName{Name: "volumes"}
	return ctrl.NewControllerManagedBy(mgr).Named(c.Name()).
		Watches(&corev1.Pod{}, trigger.Enqueue(key)).
		Watches(&corev1.PersistentVolumeClaim{}, trigger.Enqueue(key)).
		Complete(c)
}
