package scaler

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
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

// nodeRooms reads the room left on the initialized nodes of the policy's
// NodePools, grouped by arch and capacity type. Nodes are known through
// their NodeClaims (allocatable, arch and capacity-type labels), which the
// scaler already watches, and used room through the pods bound to them.
func (c *HeadroomController) nodeRooms(ctx context.Context, p *v1alpha1.ScalerPolicy) (map[roomKey][]headroom.NodeRoom, error) {
	managed := sets.New[string]()
	for _, np := range p.NodePools {
		managed.Insert(np.Name)
	}
	var claims karpv1.NodeClaimList
	if err := c.client.List(ctx, &claims); err != nil {
		return nil, fmt.Errorf("listing nodeclaims: %w", err)
	}
	nodes := map[string]roomKey{}
	alloc := map[string]pressure.Size{}
	for i := range claims.Items {
		nc := &claims.Items[i]
		if nc.DeletionTimestamp != nil || nc.Status.NodeName == "" || !managed.Has(nc.Labels[karpv1.NodePoolLabelKey]) ||
			!nc.StatusConditions().Get(karpv1.ConditionTypeInitialized).IsTrue() {
			continue
		}
		nodes[nc.Status.NodeName] = roomKey{arch: nc.Labels[corev1.LabelArchStable], capacityType: nc.Labels[karpv1.CapacityTypeLabelKey]}
		alloc[nc.Status.NodeName] = pressure.Size{MilliCPU: nc.Status.Allocatable.Cpu().MilliValue(), Memory: nc.Status.Allocatable.Memory().Value()}
	}
	out := map[roomKey][]headroom.NodeRoom{}
	if len(nodes) == 0 {
		return out, nil
	}
	var pods corev1.PodList
	// Read-only: the cache's pods are not copied (there may be thousands).
	if err := c.client.List(ctx, &pods, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	used := map[string]pressure.Size{}
	for i := range pods.Items {
		pod := &pods.Items[i]
		if _, ok := nodes[pod.Spec.NodeName]; !ok || pressure.PodPhase(pod) == pressure.PhaseDone {
			continue
		}
		cpu, mem := pressure.Requests(pod)
		u := used[pod.Spec.NodeName]
		used[pod.Spec.NodeName] = pressure.Size{MilliCPU: u.MilliCPU + cpu, Memory: u.Memory + mem}
	}
	for name, key := range nodes {
		out[key] = append(out[key], headroom.NodeRoom{Allocatable: alloc[name], Used: used[name]})
	}
	return out, nil
}
