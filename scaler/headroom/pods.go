package headroom

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/pressure"
)

// PriorityValue is the PriorityClass value of placeholders: below every job
// pod (0), so that any job preempts them.
const PriorityValue = -10

// PriorityClass returns the PriorityClass placeholders run at. Its own
// preemptionPolicy is Never: a placeholder never evicts anything, while job
// pods (default PreemptLowerPriority) still preempt placeholders.
func PriorityClass() *schedulingv1.PriorityClass {
	return &schedulingv1.PriorityClass{
		ObjectMeta:       metav1.ObjectMeta{Name: v1alpha1.HeadroomPriorityCls},
		Value:            PriorityValue,
		PreemptionPolicy: ptr.To(corev1.PreemptNever),
		Description:      "jobfit headroom placeholders; preempted by GitLab job pods",
	}
}

// Size returns the placeholder size for arch: a typical job of that arch in
// snap, or the template's size when none is counted.
func Size(t v1alpha1.HeadroomPodTemplate, snap *pressure.Snapshot, arch string) corev1.ResourceList {
	if s, ok := snap.TypicalSize(arch); ok && s.MilliCPU > 0 && s.Memory > 0 {
		return corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewMilliQuantity(s.MilliCPU, resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(s.Memory, resource.BinarySI),
		}
	}
	return corev1.ResourceList{corev1.ResourceCPU: t.CPU.Value(), corev1.ResourceMemory: t.Memory.Value()}
}

// Pod returns a placeholder pod for arch in namespace, owned by owner.
func Pod(t v1alpha1.HeadroomPodTemplate, arch, namespace string, size corev1.ResourceList, owner metav1.OwnerReference) *corev1.Pod {
	sel := map[string]string{v1alpha1.LabelArch: arch, v1alpha1.LabelCapacityType: t.CapacityType, v1alpha1.LabelOS: "linux"}
	for k, v := range t.NodeSelector {
		sel[k] = v
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    "jobfit-headroom-" + arch + "-",
			Namespace:       namespace,
			Labels:          map[string]string{v1alpha1.HeadroomLabel: arch, "app.kubernetes.io/name": "jobfit-headroom"},
			OwnerReferences: []metav1.OwnerReference{owner},
		},
		Spec: corev1.PodSpec{
			PriorityClassName:             v1alpha1.HeadroomPriorityCls,
			SchedulerName:                 t.SchedulerName,
			PreemptionPolicy:              ptr.To(corev1.PreemptNever),
			TerminationGracePeriodSeconds: ptr.To[int64](0),
			AutomountServiceAccountToken:  ptr.To(false),
			// With the container's settings, this meets the restricted Pod
			// Security profile that the headroom namespace enforces.
			SecurityContext: &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			NodeSelector:    sel,
			Affinity:        packTogether(arch),
			Tolerations:     slices.Clone(t.Tolerations),
			Containers: []corev1.Container{{
				Name:      "pause",
				Image:     t.Image,
				Resources: corev1.ResourceRequirements{Requests: size, Limits: corev1.ResourceList{corev1.ResourceMemory: size[corev1.ResourceMemory]}},
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false),
					RunAsNonRoot:             ptr.To(true),
					RunAsUser:                ptr.To[int64](65535),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
}

// packTogether prefers the nodes that already run placeholders of arch.
// Karpenter's shipped pools consolidate WhenEmpty, and one placeholder keeps
// a node from being empty: spread by kube-scheduler's default scoring (least
// allocated first), a handful of placeholders held as many nodes. Packed,
// they hold as few as their size needs, and the others can empty and go.
// Preferred, not required: a placeholder still goes wherever there is room.
func packTogether(arch string) *corev1.Affinity {
	return &corev1.Affinity{PodAffinity: &corev1.PodAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
			Weight: 100,
			PodAffinityTerm: corev1.PodAffinityTerm{
				LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{v1alpha1.HeadroomLabel: arch}},
				TopologyKey:   corev1.LabelHostname,
			},
		}},
	}}
}

// Diff returns how many placeholders to create and which existing ones to
// delete so that want remain. Pending placeholders go first (they hold no
// capacity yet), then those on nodes that run nothing else (busy lists the
// nodes that do: there a deletion cannot empty the node), then those on the
// nodes with the fewest placeholders (so that a node can empty and be
// consolidated), then the newest. A nil busy knows of no other pods.
func Diff(existing []*corev1.Pod, want int, busy sets.Set[string]) (create int, remove []*corev1.Pod) {
	live := make([]*corev1.Pod, 0, len(existing))
	perNode := map[string]int{}
	for _, p := range existing {
		if p.DeletionTimestamp == nil {
			live = append(live, p)
			perNode[p.Spec.NodeName]++
		}
	}
	if len(live) <= want {
		return want - len(live), nil
	}
	slices.SortFunc(live, func(a, b *corev1.Pod) int {
		pa, pb := a.Spec.NodeName == "", b.Spec.NodeName == ""
		if pa != pb {
			if pa {
				return -1
			}
			return 1
		}
		if !pa {
			if c := compareBool(busy.Has(a.Spec.NodeName), busy.Has(b.Spec.NodeName)); c != 0 {
				return c
			}
			if c := cmp.Compare(perNode[a.Spec.NodeName], perNode[b.Spec.NodeName]); c != 0 {
				return c
			}
		}
		return cmp.Or(b.CreationTimestamp.Compare(a.CreationTimestamp.Time), cmp.Compare(a.Name, b.Name))
	})
	return 0, live[:len(live)-want]
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}

// SplitStale separates the placeholders to keep from the pending ones that
// t would not make: pinned to another capacity type (the spot fallback), or
// waiting for another scheduler (one that stopped, so that they would
// never be scheduled). Those are replaced. Bound placeholders are kept:
// they hold capacity that exists.
func SplitStale(existing []*corev1.Pod, t v1alpha1.HeadroomPodTemplate) (keep, stale []*corev1.Pod) {
	for _, p := range existing {
		if p.Spec.NodeName == "" && (p.Spec.NodeSelector[v1alpha1.LabelCapacityType] != t.CapacityType || !sameScheduler(p.Spec.SchedulerName, t.SchedulerName)) {
			stale = append(stale, p)
			continue
		}
		keep = append(keep, p)
	}
	return keep, stale
}

// sameScheduler compares scheduler names, empty being the default one.
func sameScheduler(a, b string) bool {
	return cmp.Or(a, v1alpha1.DefaultScheduler) == cmp.Or(b, v1alpha1.DefaultScheduler)
}
