package policy

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// applyScheduling adds the tolerations of the pools the pod is steered to,
// on every platform, and the priority class.
func (a *applier) applyScheduling() {
	a.applyTolerations()
	if s := &a.p.Scheduling; s.PriorityClassName != "" {
		a.setPriorityClass(s.PriorityClassName)
	}
	if s := &a.p.Scheduling; s.SchedulerName != "" {
		a.setSchedulerName(s.SchedulerName)
	}
}

// setSchedulerName hands the pod to the policy's scheduler when it asks for
// the default one (the API server fills in default-scheduler before
// admission) and that scheduler is running. A scheduler the pod names
// itself (GitLab Runner's scheduler_name) is kept.
func (a *applier) setSchedulerName(name string) {
	if a.podKeeps(MutSchedulerName, a.pod.Spec.SchedulerName, name, "schedulerName", v1alpha1.DefaultScheduler) {
		return
	}
	if !a.referenceOK(MissingReference{Kind: RefScheduler, Name: name, Field: "scheduling.schedulerName"}) {
		return
	}
	a.pod.Spec.SchedulerName = name
	a.dec.add(MutSchedulerName, name, "scheduling.schedulerName", true)
}

// applyTolerations adds the tolerations of scheduling, its byArch entry for
// the pod's arch and its byCapacityType entry for its capacity type.
func (a *applier) applyTolerations() {
	s := &a.p.Scheduling
	a.addTolerations(s.Tolerations, "scheduling.tolerations")
	if sc, ok := s.ByArch[a.arch]; ok {
		a.addTolerations(sc.Tolerations, "scheduling.byArch."+a.arch+".tolerations")
	}
	if sc, ok := s.ByCapacityType[a.cap]; ok && a.cap != "" {
		a.addTolerations(sc.Tolerations, "scheduling.byCapacityType."+a.cap+".tolerations")
	}
}

// addTolerations adds each toleration the pod does not already have. A
// toleration on the pod is never changed: one that already tolerates
// everything the policy's does (the runner's node_tolerations, say) makes
// the policy's redundant.
func (a *applier) addTolerations(ts []corev1.Toleration, path string) {
	for i := range ts {
		src := fmt.Sprintf("%s[%d]", path, i)
		if have := a.toleratedBy(&ts[i]); have != nil {
			a.dec.add(MutToleration, v1alpha1.FormatToleration(ts[i]), src+" (pod already has "+v1alpha1.FormatToleration(*have)+")", false)
			continue
		}
		a.pod.Spec.Tolerations = append(a.pod.Spec.Tolerations, *ts[i].DeepCopy())
		a.dec.add(MutToleration, v1alpha1.FormatToleration(ts[i]), src, true)
	}
}

// tolerate adds a toleration unless the pod already has one that Covers it.
func (a *applier) tolerate(t corev1.Toleration) bool {
	if a.toleratedBy(&t) != nil {
		return false
	}
	a.pod.Spec.Tolerations = append(a.pod.Spec.Tolerations, t)
	return true
}

// toleratedBy returns the pod's toleration that Covers t, or nil.
func (a *applier) toleratedBy(t *corev1.Toleration) *corev1.Toleration {
	for i := range a.pod.Spec.Tolerations {
		if v1alpha1.Covers(&a.pod.Spec.Tolerations[i], t) {
			return &a.pod.Spec.Tolerations[i]
		}
	}
	return nil
}

// setPriorityClass sets the pod's priority class when it has none.
func (a *applier) setPriorityClass(name string) {
	if a.podKeeps(MutPriorityClass, a.pod.Spec.PriorityClassName, name, "priorityClassName", "") {
		return
	}
	if !a.referenceOK(MissingReference{Kind: RefPriorityClass, Name: name, Field: "scheduling.priorityClassName"}) {
		return
	}
	a.pod.Spec.PriorityClassName = name
	// The API server's Priority admission plugin resolved the pod's priority
	// before the webhook, without a class, and runs again after a webhook
	// changes the pod: it refuses a priority it did not compute from the
	// class, so the value computed without one must go.
	a.pod.Spec.Priority = nil
	a.pod.Spec.PreemptionPolicy = nil
	a.dec.add(MutPriorityClass, name, "scheduling.priorityClassName", true)
}

// podKeeps records and reports whether the pod keeps its own value cur of
// the scheduling field (scheduling.<field> wants name): when it already
// has name, or a value of its own. Only unset, the value a pod has when
// nobody chose one ("" or the API server's default), is replaced.
func (a *applier) podKeeps(mut, cur, name, field, unset string) bool {
	switch cur {
	case name:
		a.dec.add(mut, name, "scheduling."+field, false)
		return true
	case "", unset:
		return false
	}
	a.dec.add(mut, cur, "pod's own "+field+" (kept)", false)
	return true
}
