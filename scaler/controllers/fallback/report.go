package fallback

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/fallback"
	"jobfit.dev/jobfit/scaler/signals"
)

func (c *Controller) reportDegraded(st fallback.State) {
	c.metrics.CapacityDegraded.Reset()
	for _, d := range st.Degraded {
		c.metrics.CapacityDegraded.WithLabelValues(d.Arch, d.CapacityType).Set(1)
	}
}

// reportNodeClasses sets jobfit_nodeclass_ready for each EC2NodeClass a
// managed pool uses; a class no managed pool uses any more drops out.
func (c *Controller) reportNodeClasses(classes []signals.NodeClassState) {
	c.metrics.NodeClassReady.Reset()
	for _, s := range classes {
		v := 0.0
		if s.Ready {
			v = 1
		}
		c.metrics.NodeClassReady.WithLabelValues(s.Name).Set(v)
	}
}

// recordTransition records an Event on the status ConfigMap for each arch
// that became degraded or recovered, and each node class that stopped or
// started being Ready.
func (c *Controller) recordTransition(from, to v1alpha1.CapacityStatus, dryRun bool) {
	ref := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.CapacityStatusName, Namespace: c.namespace}}
	ref.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	prefix := ""
	if dryRun {
		prefix = "dry run: would mark "
	}
	for _, d := range to.Degraded {
		if !from.IsDegraded(d.Arch, d.CapacityType) {
			c.recorder.Eventf(ref, nil, corev1.EventTypeWarning, "CapacityDegraded", "Fallback", "%s%s %s degraded (%s): %s", prefix, d.Arch, d.CapacityType, d.Cause, d.Reason)
		}
	}
	for _, d := range from.Degraded {
		if !to.IsDegraded(d.Arch, d.CapacityType) {
			c.recorder.Eventf(ref, nil, corev1.EventTypeNormal, "CapacityRecovered", "Fallback", "%s%s %s recovered", prefix, d.Arch, d.CapacityType)
		}
	}
	c.recordNodeClassTransitions(ref, from.NodeClassesNotReady, to.NodeClassesNotReady)
}

func (c *Controller) recordNodeClassTransitions(ref *corev1.ConfigMap, from, to []v1alpha1.NodeClassCondition) {
	in := func(list []v1alpha1.NodeClassCondition, name string) bool {
		return slices.ContainsFunc(list, func(n v1alpha1.NodeClassCondition) bool { return n.Name == name })
	}
	for _, n := range to {
		if !in(from, n.Name) {
			c.recorder.Eventf(ref, nil, corev1.EventTypeWarning, "NodeClassNotReady", "NodeClass",
				"EC2NodeClass %s (NodePools %s) is not Ready: %s: %s", n.Name, strings.Join(n.NodePools, ", "), n.Reason, n.Message)
		}
	}
	for _, n := range from {
		if !in(to, n.Name) {
			c.recorder.Eventf(ref, nil, corev1.EventTypeNormal, "NodeClassReady", "NodeClass", "EC2NodeClass %s is Ready again, or no longer used by a managed NodePool", n.Name)
		}
	}
}
