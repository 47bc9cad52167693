package scaler

// Watch helpers shared by the controllers' Register methods.

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"jobfit.dev/jobfit/policy"
)

func defaultRegisterer() prometheus.Registerer { return ctrlmetrics.Registry }

// isJobPod reports whether o is a GitLab job pod.
func isJobPod(o client.Object) bool {
	pod, ok := o.(*corev1.Pod)
	if !ok {
		return false
	}
	is, _ := policy.IsJobPod(pod)
	return is
}

// jobPods passes only GitLab job pods.
var jobPods = predicate.NewPredicateFuncs(isJobPod)

func singleton(key types.NamespacedName) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: key}}
	})
}
