package app

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy"
)

// liveReferences answers policy.References with one GET per object from
// the cluster of the current kubeconfig context. An object it cannot read
// (an error other than NotFound) counts as existing: the check warns only
// about what it saw missing.
type liveReferences struct {
	c client.Client
	// namespace is jobfit's, where a scheduler's Lease is.
	namespace string
}

var _ policy.References = liveReferences{}

func newLiveReferences() (liveReferences, error) {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return liveReferences{}, fmt.Errorf("loading kubeconfig for --cluster: %w", err)
	}
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return liveReferences{}, fmt.Errorf("connecting to the cluster: %w", err)
	}
	return liveReferences{c: c, namespace: defaultNamespace}, nil
}

func (r liveReferences) get(key client.ObjectKey, obj client.Object) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return !apierrors.IsNotFound(r.c.Get(ctx, key, obj))
}

// PriorityClassExists reads the PriorityClass.
func (r liveReferences) PriorityClassExists(name string) bool {
	return r.get(client.ObjectKey{Name: name}, &schedulingv1.PriorityClass{})
}

// ClaimUsable reads the claim; one being deleted or Lost is not usable.
func (r liveReferences) ClaimUsable(namespace, name string) bool {
	pvc := &corev1.PersistentVolumeClaim{}
	if !r.get(client.ObjectKey{Namespace: namespace, Name: name}, pvc) {
		return false
	}
	return pvc.DeletionTimestamp == nil && pvc.Status.Phase != corev1.ClaimLost
}

// SchedulerRunning reads the Lease named after the scheduler in jobfit's
// namespace; one it cannot read counts as held.
func (r liveReferences) SchedulerRunning(name string) bool {
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
