// Package trigger holds what the scaler's controllers watch with: which
// objects trigger a pass (JobPods), and the handler of a controller that
// plans the whole cluster in one pass, which turns every event into the
// same single request (Enqueue).
package trigger

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"jobfit.dev/jobfit/policy"
)

// IsJobPod reports whether o is a GitLab job pod.
func IsJobPod(o client.Object) bool {
	pod, ok := o.(*corev1.Pod)
	if !ok {
		return false
	}
	is, _ := policy.IsJobPod(pod)
	return is
}

// JobPods passes only GitLab job pods.
var JobPods = predicate.NewPredicateFuncs(IsJobPod)

// Enqueue turns every event into the one request key: the controller
// replans everything on each.
func Enqueue(key types.NamespacedName) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: key}}
	})
}
