package explain

import (
	"context"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy"
)

// LiveReferences answers policy.References with one GET per object from a
// cluster (`jobfit policy validate --cluster`, `kubectl jobfit explain`).
// An object it cannot read (an error other than NotFound) counts as
// existing: the check warns only about what it saw missing.
type LiveReferences struct {
	c client.Client
	// namespace is jobfit's, where a scheduler's Lease is.
	namespace string
}

var _ policy.References = LiveReferences{}

// NewLiveReferences reads objects with c; jobfitNS is where schedulers'
// Leases are.
func NewLiveReferences(c client.Client, jobfitNS string) LiveReferences {
	return LiveReferences{c: c, namespace: jobfitNS}
}

func (r LiveReferences) get(key client.ObjectKey, obj client.Object) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return !apierrors.IsNotFound(r.c.Get(ctx, key, obj))
}

// PriorityClassExists reads the PriorityClass.
func (r LiveReferences) PriorityClassExists(name string) bool {
	return r.get(client.ObjectKey{Name: name}, &schedulingv1.PriorityClass{})
}

// ClaimUsable reads the claim; one being deleted or Lost is not usable.
func (r LiveReferences) ClaimUsable(namespace, name string) bool {
	pvc := &corev1.PersistentVolumeClaim{}
	if !r.get(client.ObjectKey{Namespace: namespace, Name: name}, pvc) {
		return false
	}
	return pvc.DeletionTimestamp == nil && pvc.Status.Phase != corev1.ClaimLost
}

// SchedulerRunning reads the Lease named after the scheduler in jobfit's
// namespace; one it cannot read counts as held.
func (r LiveReferences) SchedulerRunning(name string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l := &coordinationv1.Lease{}
	switch err := r.c.Get(ctx, client.ObjectKey{Namespace: r.namespace, Name: name}, l); {
	case apierrors.IsNotFound(err):
		return false
	case err != nil:
		return true
	}
	return policy.LeaseHeld(l, time.Now())
}
