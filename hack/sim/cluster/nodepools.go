package cluster

import (
	"fmt"
	"math"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"jobfit.dev/jobfit/hack/stack"
)

// NodeClassName is the KWOKNodeClass the NodePools use.
const NodeClassName = "ci"

// NodePoolFiles are the shipped EKS NodePools, relative to manifests/.
var NodePoolFiles = []string{
	"examples/karpenter/nodepool-ci-spot.yaml",
	"examples/karpenter/nodepool-ci-on-demand.yaml",
}

// Scale divides a trace duration by speed and rounds it to whole seconds,
// at least one: Karpenter's duration fields take whole units only.
func Scale(d time.Duration, speed float64) time.Duration {
	if d <= 0 {
		return d
	}
	return max(time.Second, time.Duration(math.Round(float64(d)/speed/float64(time.Second)))*time.Second)
}

// ScaleString scales a duration written as in a manifest, keeping "Never".
func ScaleString(s string, speed float64) (string, error) {
	if s == "Never" || s == "" {
		return s, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a duration: %w", s, err)
	}
	return fmt.Sprintf("%ds", int64(Scale(d, speed)/time.Second)), nil
}

// NodeClass is the KWOKNodeClass standing in for the EC2NodeClass: nodes
// register boot (trace time) after launch.
func NodeClass(boot time.Duration, speed float64) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "karpenter.kwok.sh/v1alpha1", "kind": "KWOKNodeClass",
		"metadata": map[string]any{"name": NodeClassName},
		"spec":     map[string]any{"nodeRegistrationDelay": fmt.Sprintf("%ds", int64(Scale(boot, speed)/time.Second))},
	}}
}

// minValuesKeys maps the AWS provider's instance labels to the kwok
// provider's labels of the same meaning. Karpenter counts a requirement's
// minValues over the instance types' own requirements, which the kwok
// provider builds from a fixed list of its own keys; an offering's
// karpenter.k8s.aws/* labels never count there. The kwok provider parses
// karpenter.kwok.sh/instance-family from an AWS-style name ("c6i.xlarge"
// is "c6i"), so the values, and the diversification minValues asks for,
// are the same.
var minValuesKeys = map[string]string{
	"karpenter.k8s.aws/instance-family": "karpenter.kwok.sh/instance-family",
	"karpenter.k8s.aws/instance-cpu":    "karpenter.kwok.sh/instance-cpu",
	"karpenter.k8s.aws/instance-size":   "karpenter.kwok.sh/instance-size",
}

// NodePools reads the shipped NodePools and changes only what the replay
// must: nodeClassRef points at the KWOKNodeClass; a requirement with
// minValues on an AWS instance label uses the kwok provider's label of the
// same meaning (see minValuesKeys); the durations (consolidateAfter,
// expireAfter, terminationGracePeriod) are divided by speed. Every other
// requirement, taints, weights, limits and budgets stay as shipped.
func NodePools(manifests string, speed float64) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, f := range NodePoolFiles {
		objs, err := stack.ReadObjects(filepath.Join(manifests, f))
		if err != nil {
			return nil, err
		}
		for _, np := range objs {
			if np.GetKind() != "NodePool" {
				return nil, fmt.Errorf("%s: want a NodePool, got %s", f, np.GetKind())
			}
			if err := adapt(np, speed); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			out = append(out, np)
		}
	}
	return out, nil
}

func adapt(np *unstructured.Unstructured, speed float64) error {
	ref := map[string]any{"group": "karpenter.kwok.sh", "kind": "KWOKNodeClass", "name": NodeClassName}
	if err := unstructured.SetNestedMap(np.Object, ref, "spec", "template", "spec", "nodeClassRef"); err != nil {
		return fmt.Errorf("setting nodeClassRef: %w", err)
	}
	if err := mapMinValuesKeys(np); err != nil {
		return err
	}
	for _, path := range [][]string{
		{"spec", "disruption", "consolidateAfter"},
		{"spec", "template", "spec", "expireAfter"},
		{"spec", "template", "spec", "terminationGracePeriod"},
	} {
		v, found, err := unstructured.NestedString(np.Object, path...)
		if err != nil || !found {
			continue
		}
		scaled, err := ScaleString(v, speed)
		if err != nil {
			return fmt.Errorf("%v: %w", path, err)
		}
		if err := unstructured.SetNestedField(np.Object, scaled, path...); err != nil {
			return fmt.Errorf("setting %v: %w", path, err)
		}
	}
	return nil
}

func mapMinValuesKeys(np *unstructured.Unstructured) error {
	reqs, _, err := unstructured.NestedSlice(np.Object, "spec", "template", "spec", "requirements")
	if err != nil {
		return fmt.Errorf("reading requirements: %w", err)
	}
	for _, r := range reqs {
		req, ok := r.(map[string]any)
		if !ok || req["minValues"] == nil {
			continue
		}
		if key, ok := minValuesKeys[fmt.Sprint(req["key"])]; ok {
			req["key"] = key
		}
	}
	return unstructured.SetNestedSlice(np.Object, reqs, "spec", "template", "spec", "requirements")
}
