package webhook

import (
	"context"
	"fmt"
	"net/http"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/webhook/certs"
)

var _ policy.References = (*References)(nil)

// References answers policy.References from informer caches of
// PriorityClasses, PersistentVolumeClaims and the Leases of jobfit's
// namespace, without blocking: admission reads an in-memory index, never
// the API server. Until the caches have synced it answers that nothing
// exists, so that nothing unverified is added; the webhook is not ready
// before then.
type References struct {
	classes, claims toolscache.SharedIndexInformer
	// leases is a namespaced informer, read through reader.
	leases cache.Informer
	reader client.Reader
	// namespace is jobfit's, where a scheduler's Lease is looked for.
	namespace string
	now       func() time.Time
}

// SetupReferences adds the caches References reads to mgr, on every
// replica, and a readiness check that passes once they have synced. Only
// what an existence check needs is kept of each object. Leases are watched
// in namespace (jobfit's) only.
func SetupReferences(ctx context.Context, mgr ctrl.Manager, namespace string) (*References, error) {
	c, err := cache.New(mgr.GetConfig(), cache.Options{
		Scheme: mgr.GetScheme(),
		Mapper: mgr.GetRESTMapper(),
		ByObject: map[client.Object]cache.ByObject{
			&schedulingv1.PriorityClass{}:   {Transform: keepForReference},
			&corev1.PersistentVolumeClaim{}: {Transform: keepForReference},
			&coordinationv1.Lease{}:         {Transform: keepForReference, Namespaces: map[string]cache.Config{namespace: {}}},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("creating reference cache: %w", err)
	}
	r := &References{namespace: namespace, now: time.Now}
	if r.classes, err = sharedInformer(ctx, c, &schedulingv1.PriorityClass{}); err != nil {
		return nil, err
	}
	if r.claims, err = sharedInformer(ctx, c, &corev1.PersistentVolumeClaim{}); err != nil {
		return nil, err
	}
	if r.leases, err = c.GetInformer(ctx, &coordinationv1.Lease{}); err != nil {
		return nil, fmt.Errorf("getting the Lease informer: %w", err)
	}
	r.reader = c
	if err := mgr.Add(certs.ReplicaCache{Cache: c}); err != nil {
		return nil, fmt.Errorf("registering reference cache: %w", err)
	}
	if err := mgr.AddReadyzCheck("references", r.ReadyCheck); err != nil {
		return nil, fmt.Errorf("adding reference readiness check: %w", err)
	}
	return r, nil
}

func sharedInformer(ctx context.Context, c cache.Cache, obj client.Object) (toolscache.SharedIndexInformer, error) {
	inf, err := c.GetInformer(ctx, obj)
	if err != nil {
		return nil, fmt.Errorf("getting the %T informer: %w", obj, err)
	}
	shared, ok := inf.(toolscache.SharedIndexInformer)
	if !ok {
		return nil, fmt.Errorf("the %T informer is a %T, not a SharedIndexInformer", obj, inf)
	}
	return shared, nil
}

// keepForReference strips an object to what an existence check reads: its
// name, namespace, deletion timestamp and, for a claim, its phase; for a
// Lease, its holder and times.
func keepForReference(obj any) (any, error) {
	switch o := obj.(type) {
	case *coordinationv1.Lease:
		return &coordinationv1.Lease{ObjectMeta: strippedMeta(o.ObjectMeta), Spec: coordinationv1.LeaseSpec{
			HolderIdentity: o.Spec.HolderIdentity, LeaseDurationSeconds: o.Spec.LeaseDurationSeconds,
			AcquireTime: o.Spec.AcquireTime, RenewTime: o.Spec.RenewTime}}, nil
	case *schedulingv1.PriorityClass:
		return &schedulingv1.PriorityClass{ObjectMeta: strippedMeta(o.ObjectMeta)}, nil
	case *corev1.PersistentVolumeClaim:
		return &corev1.PersistentVolumeClaim{ObjectMeta: strippedMeta(o.ObjectMeta),
			Status: corev1.PersistentVolumeClaimStatus{Phase: o.Status.Phase}}, nil
	}
	return obj, nil
}

func strippedMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID,
		ResourceVersion: m.ResourceVersion, DeletionTimestamp: m.DeletionTimestamp}
}

// PriorityClassExists reports whether the PriorityClass is in the cache.
func (r *References) PriorityClassExists(name string) bool {
	return r.classes.HasSynced() && exists(r.classes, name)
}

// ClaimUsable reports whether the claim is in the cache, not being deleted
// and not Lost. A Pending claim counts: with WaitForFirstConsumer binding
// it is bound once the pod is scheduled.
func (r *References) ClaimUsable(namespace, name string) bool {
	if !r.claims.HasSynced() {
		return false
	}
	obj, ok, err := r.claims.GetIndexer().GetByKey(namespace + "/" + name)
	if err != nil || !ok {
		return false
	}
	pvc, isPVC := obj.(*corev1.PersistentVolumeClaim)
	return isPVC && pvc.DeletionTimestamp == nil && pvc.Status.Phase != corev1.ClaimLost
}

// SchedulerRunning reports whether the Lease named after the scheduler, in
// jobfit's namespace, is held (policy.LeaseHeld). The Lease is read at
// each admission, so a scheduler that stops is noticed as soon as its
// Lease is released, or at the latest when it lapses.
func (r *References) SchedulerRunning(name string) bool {
	if !r.leases.HasSynced() {
		return false
	}
	l := &coordinationv1.Lease{}
	if err := r.reader.Get(context.Background(), client.ObjectKey{Namespace: r.namespace, Name: name}, l); err != nil {
		return false
	}
	return policy.LeaseHeld(l, r.now())
}

func exists(inf toolscache.SharedIndexInformer, key string) bool {
	_, ok, err := inf.GetIndexer().GetByKey(key)
	return err == nil && ok
}

// ReadyCheck is a readyz checker that passes once both caches have synced.
func (r *References) ReadyCheck(_ *http.Request) error {
	if !r.classes.HasSynced() || !r.claims.HasSynced() || !r.leases.HasSynced() {
		return fmt.Errorf("PriorityClass, PersistentVolumeClaim and Lease caches not synced yet")
	}
	return nil
}
