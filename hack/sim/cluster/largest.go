package cluster

import (
	"fmt"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// kwokKubeReservedCPU is the CPU the kwok provider reserves on every
// instance type (sigs.k8s.io/karpenter/kwok/cloudprovider: KubeReserved
// cpu 100m): a node's allocatable CPU is its capacity less this.
const kwokKubeReservedCPU = 0.1

// instanceCPULabel is the NodePools' requirement on vCPU counts.
const instanceCPULabel = "karpenter.k8s.aws/instance-cpu"

// LargestAllocatableCPU is the allocatable CPU, in cores, of the largest
// instance type of types that one of pools (as NodePools returns them)
// can launch: the instance-cpu values a pool allows (every size when it
// names none).
func LargestAllocatableCPU(pools []*unstructured.Unstructured, types []InstanceType) (float64, error) {
	largest := 0.0
	for _, np := range pools {
		allowed, err := allowedCPUs(np)
		if err != nil {
			return 0, fmt.Errorf("NodePool %s: %w", np.GetName(), err)
		}
		for _, it := range types {
			q := it.Resources[corev1.ResourceCPU]
			cpu := q.AsApproximateFloat64()
			if allowed == nil || slices.Contains(allowed, strconv.FormatFloat(cpu, 'f', -1, 64)) {
				largest = max(largest, cpu-kwokKubeReservedCPU)
			}
		}
	}
	if largest <= 0 {
		return 0, fmt.Errorf("no instance type of the catalog fits the NodePools' %s", instanceCPULabel)
	}
	return largest, nil
}

// allowedCPUs are the values of np's In requirement on instanceCPULabel;
// nil when it has none.
func allowedCPUs(np *unstructured.Unstructured) ([]string, error) {
	reqs, _, err := unstructured.NestedSlice(np.Object, "spec", "template", "spec", "requirements")
	if err != nil {
		return nil, fmt.Errorf("reading requirements: %w", err)
	}
	for _, r := range reqs {
		req, ok := r.(map[string]any)
		if !ok || req["key"] != instanceCPULabel || req["operator"] != string(corev1.NodeSelectorOpIn) {
			continue
		}
		values, _ := req["values"].([]any)
		out := []string{}
		for _, v := range values {
			out = append(out, fmt.Sprint(v))
		}
		return out, nil
	}
	return nil, nil
}
