package headroom

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/client"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/headroom"
	"jobfit.dev/jobfit/scaler/pressure"
)

// roomKey names the nodes whose free room headroom counts: one arch and
// one capacity type.
type roomKey struct{ arch, capacityType string }

// rooms is the room of one roomKey's nodes: those initialized (ready) and
// those launched but not yet initialized (booting).
type rooms struct{ ready, booting []headroom.NodeRoom }

// nodeRooms reads the room left on the nodes of the policy's NodePools,
// grouped by arch and capacity type. Nodes are known through their
// NodeClaims (allocatable, arch and capacity-type labels, set at launch),
// which the scaler already watches, and used room through the pods bound to
// them. A NodeClaim launched but not yet initialized is booting: its room
// comes soon, and the pending pods it was launched for take it (see
// headroom.Free).
//
// busy lists the ready nodes that run pods other than placeholders and
// DaemonSet pods: deleting placeholders there cannot empty them.
func (c *Controller) nodeRooms(ctx context.Context, p *v1alpha1.ScalerPolicy) (_ map[roomKey]*rooms, busy sets.Set[string], _ error) {
	out, nodes, err := c.claimRooms(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	busy = sets.New[string]()
	if len(nodes) == 0 {
		return out, busy, nil
	}
	var pods corev1.PodList
	// Read-only: the cache's pods are not copied (there may be thousands).
	if err := c.client.List(ctx, &pods, client.UnsafeDisableDeepCopy); err != nil {
		return nil, nil, fmt.Errorf("listing pods: %w", err)
	}
	used := map[string]pressure.Size{}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if _, ok := nodes[pod.Spec.NodeName]; !ok || pressure.PodPhase(pod) == pressure.PhaseDone {
			continue
		}
		if _, placeholder := pod.Labels[v1alpha1.HeadroomLabel]; !placeholder && !ownedByDaemonSet(pod) {
			busy.Insert(pod.Spec.NodeName)
		}
		cpu, mem := pressure.Requests(pod)
		u := used[pod.Spec.NodeName]
		used[pod.Spec.NodeName] = pressure.Size{MilliCPU: u.MilliCPU + cpu, Memory: u.Memory + mem}
	}
	for name, n := range nodes {
		r := roomsOf(out, n.key)
		r.ready = append(r.ready, headroom.NodeRoom{Allocatable: n.alloc, Used: used[name]})
	}
	return out, busy, nil
}

// readyNode is a ready node's roomKey and allocatable.
type readyNode struct {
	key   roomKey
	alloc pressure.Size
}

// claimRooms reads the launched NodeClaims of the policy's NodePools: the
// booting ones go straight into rooms, the ready ones are returned by node
// name for their pods to be counted.
func (c *Controller) claimRooms(ctx context.Context, p *v1alpha1.ScalerPolicy) (map[roomKey]*rooms, map[string]readyNode, error) {
	managed := sets.New[string]()
	for _, np := range p.NodePools {
		managed.Insert(np.Name)
	}
	var claims karpv1.NodeClaimList
	if err := c.client.List(ctx, &claims); err != nil {
		return nil, nil, fmt.Errorf("listing nodeclaims: %w", err)
	}
	out := map[roomKey]*rooms{}
	nodes := map[string]readyNode{}
	for i := range claims.Items {
		nc := &claims.Items[i]
		if nc.DeletionTimestamp != nil || !managed.Has(nc.Labels[karpv1.NodePoolLabelKey]) ||
			!nc.StatusConditions().Get(karpv1.ConditionTypeLaunched).IsTrue() {
			continue
		}
		key := roomKey{arch: nc.Labels[corev1.LabelArchStable], capacityType: nc.Labels[karpv1.CapacityTypeLabelKey]}
		size := pressure.Size{MilliCPU: nc.Status.Allocatable.Cpu().MilliValue(), Memory: nc.Status.Allocatable.Memory().Value()}
		if !nc.StatusConditions().Get(karpv1.ConditionTypeInitialized).IsTrue() || nc.Status.NodeName == "" {
			// Pods are rarely bound before a node is initialized (its
			// startup taints), and their room is taken off by the
			// pending pods instead.
			r := roomsOf(out, key)
			r.booting = append(r.booting, headroom.NodeRoom{Allocatable: size})
			continue
		}
		nodes[nc.Status.NodeName] = readyNode{key: key, alloc: size}
	}
	return out, nodes, nil
}

// ownedByDaemonSet reports whether pod is a DaemonSet's: Karpenter counts a
// node that runs only those as empty.
func ownedByDaemonSet(pod *corev1.Pod) bool {
	ref := metav1.GetControllerOf(pod)
	return ref != nil && ref.Kind == "DaemonSet"
}

func roomsOf(m map[roomKey]*rooms, key roomKey) *rooms {
	r, ok := m[key]
	if !ok {
		r = &rooms{}
		m[key] = r
	}
	return r
}

// pendingFor sums the requests of the pods waiting for room of arch and
// capacityType: pending placeholders pinned to them, and pending job pods
// of arch that pin capacityType or none.
func pendingFor(snap *pressure.Snapshot, placeholders []*corev1.Pod, arch, capacityType string) pressure.Size {
	var s pressure.Size
	for _, pod := range placeholders {
		if pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil || pod.Spec.NodeSelector[v1alpha1.LabelCapacityType] != capacityType {
			continue
		}
		cpu, mem := pressure.Requests(pod)
		s.MilliCPU += cpu
		s.Memory += mem
	}
	for key, b := range snap.Buckets {
		if key.Arch == arch && (key.CapacityType == capacityType || key.CapacityType == pressure.Any) {
			s.MilliCPU += b.PendingMilliCPU
			s.Memory += b.PendingMemory
		}
	}
	return s
}
