// Package volumes finds job pods that wait because of a volume: a
// PersistentVolumeClaim that does not exist, one that is not bound, or a
// ReadWriteOnce claim that another pod uses on another node. Such a pod
// waits, with nothing to say why, until the runner's poll_timeout fails
// the job. The package is pure: the scaler's volumes controller gives it
// what it read and reports what it returns.
package volumes

import (
	"fmt"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Reasons a job pod is blocked, as the metric's reason label says them.
const (
	ReasonMissing = "missing"
	ReasonUnbound = "unbound"
	ReasonInUse   = "in-use"
)

// Reasons lists every reason, for metrics that report zeros too.
var Reasons = []string{ReasonMissing, ReasonUnbound, ReasonInUse}

// Blocked is one job pod held up by one claim.
type Blocked struct {
	Pod     types.NamespacedName
	UID     types.UID
	Claim   string
	Reason  string
	Message string
}

// User is a pod that mounts a claim, as far as access modes matter.
type User struct {
	Pod  types.NamespacedName
	Node string
}

// Cluster is what Find reads: the claims by namespace and name, and the
// pods that use each (running or placed, not finished).
type Cluster struct {
	Claims map[types.NamespacedName]*corev1.PersistentVolumeClaim
	Users  map[types.NamespacedName][]User
}

// NewCluster indexes claims and the pods that use them. Finished pods
// (Succeeded, Failed) hold no volume and are left out.
func NewCluster(claims []corev1.PersistentVolumeClaim, pods []corev1.Pod) Cluster {
	c := Cluster{Claims: map[types.NamespacedName]*corev1.PersistentVolumeClaim{}, Users: map[types.NamespacedName][]User{}}
	for i := range claims {
		c.Claims[types.NamespacedName{Namespace: claims[i].Namespace, Name: claims[i].Name}] = &claims[i]
	}
	for i := range pods {
		p := &pods[i]
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		for _, name := range ClaimNames(p) {
			key := types.NamespacedName{Namespace: p.Namespace, Name: name}
			c.Users[key] = append(c.Users[key], User{Pod: types.NamespacedName{Namespace: p.Namespace, Name: p.Name}, Node: p.Spec.NodeName})
		}
	}
	return c
}

// ClaimNames returns the claims a pod mounts, each once.
func ClaimNames(p *corev1.Pod) []string {
	var out []string
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil && !slices.Contains(out, v.PersistentVolumeClaim.ClaimName) {
			out = append(out, v.PersistentVolumeClaim.ClaimName)
		}
	}
	return out
}

// Find returns, for each pending pod, the first of its claims that blocks
// it, sorted by pod. pending must hold pods that have not started.
func Find(pending []*corev1.Pod, c Cluster) []Blocked {
	var out []Blocked
	for _, p := range pending {
		for _, name := range ClaimNames(p) {
			if b, ok := blockedBy(p, name, c); ok {
				out = append(out, b)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pod.String() < out[j].Pod.String() })
	return out
}

func blockedBy(p *corev1.Pod, name string, c Cluster) (Blocked, bool) {
	key := types.NamespacedName{Namespace: p.Namespace, Name: name}
	b := Blocked{Pod: types.NamespacedName{Namespace: p.Namespace, Name: p.Name}, UID: p.UID, Claim: name}
	pvc, ok := c.Claims[key]
	switch {
	case !ok:
		b.Reason, b.Message = ReasonMissing, fmt.Sprintf("PersistentVolumeClaim %s does not exist in namespace %s; the pod cannot be scheduled until it does", name, p.Namespace)
	case pvc.Status.Phase != corev1.ClaimBound && unschedulable(p):
		b.Reason, b.Message = ReasonUnbound, fmt.Sprintf("PersistentVolumeClaim %s is %s, not bound to a volume; check its storage class and provisioner (kubectl describe pvc %s)", name, phase(pvc), name)
	default:
		other, ok := usedElsewhere(p, pvc, c.Users[key])
		if !ok {
			return Blocked{}, false
		}
		b.Reason, b.Message = ReasonInUse, inUseMessage(p, pvc, other)
	}
	return b, true
}

func phase(pvc *corev1.PersistentVolumeClaim) corev1.PersistentVolumeClaimPhase {
	if pvc.Status.Phase == "" {
		return corev1.ClaimPending
	}
	return pvc.Status.Phase
}

// unschedulable says the scheduler has tried the pod and failed: a claim
// that is still being provisioned for a pod it has not tried yet (a
// WaitForFirstConsumer class) is not a problem.
func unschedulable(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return true
		}
	}
	return false
}

// usedElsewhere finds the pod that keeps a single-node claim from p: for
// ReadWriteOncePod any other pod; for ReadWriteOnce only (no ReadWriteMany
// or ReadOnlyMany) a pod on another node than the one p was placed on.
func usedElsewhere(p *corev1.Pod, pvc *corev1.PersistentVolumeClaim, users []User) (User, bool) {
	modes := pvc.Spec.AccessModes
	oncePod := slices.Contains(modes, corev1.ReadWriteOncePod)
	once := slices.Contains(modes, corev1.ReadWriteOnce) &&
		!slices.Contains(modes, corev1.ReadWriteMany) && !slices.Contains(modes, corev1.ReadOnlyMany)
	for _, u := range users {
		if u.Pod.Name == p.Name {
			continue
		}
		if oncePod || (once && p.Spec.NodeName != "" && u.Node != "" && u.Node != p.Spec.NodeName) {
			return u, true
		}
	}
	return User{}, false
}

func inUseMessage(p *corev1.Pod, pvc *corev1.PersistentVolumeClaim, other User) string {
	if slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteOncePod) {
		return fmt.Sprintf("PersistentVolumeClaim %s is ReadWriteOncePod and pod %s uses it; use a ReadWriteMany claim (EFS, NAS) or one claim per job", pvc.Name, other.Pod.Name)
	}
	return fmt.Sprintf("PersistentVolumeClaim %s is ReadWriteOnce and pod %s uses it on node %s, while this pod is on node %s; use a ReadWriteMany claim (EFS, NAS) for a cache shared by jobs", pvc.Name, other.Pod.Name, other.Node, p.Spec.NodeName)
}
