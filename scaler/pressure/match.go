package pressure

import (
	"cmp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
	"sigs.k8s.io/karpenter/pkg/scheduling"
)

// Any is the arch or capacity type of a pod that does not pin one.
const Any = "any"

// pool is a NodePool reduced to what matching needs.
type pool struct {
	name   string
	weight int32
	reqs   scheduling.Requirements
	taints scheduling.Taints
}

func newPool(np *karpv1.NodePool) pool {
	reqs := scheduling.NewNodeSelectorRequirementsWithMinValues(np.Spec.Template.Spec.Requirements...)
	reqs.Add(scheduling.NewLabelRequirements(np.Spec.Template.Labels).Values()...)
	return pool{
		name:   np.Name,
		weight: ptrValue(np.Spec.Weight),
		reqs:   reqs,
		taints: scheduling.Taints(np.Spec.Template.Spec.Taints),
	}
}

func ptrValue(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// placement is what the pods that share scheduling constraints have in
// common: their pinned arch and capacity type and their candidate pools.
type placement struct {
	arch, capacityType string
	pools              []string
}

// matcher memoises placements by the pod's scheduling constraints: CI pods
// come in a handful of shapes, so 10,000 pods need a handful of matches.
type matcher struct {
	pools []pool
	memo  map[string]placement
	sb    strings.Builder
}

func newMatcher(nodePools []*karpv1.NodePool) *matcher {
	m := &matcher{memo: map[string]placement{}}
	for _, np := range nodePools {
		m.pools = append(m.pools, newPool(np))
	}
	// Karpenter tries pools by descending weight, then by name.
	slices.SortFunc(m.pools, func(a, b pool) int {
		return cmp.Or(cmp.Compare(b.weight, a.weight), cmp.Compare(a.name, b.name))
	})
	return m
}

func (m *matcher) place(pod *corev1.Pod) placement {
	key := m.signature(pod)
	if p, ok := m.memo[key]; ok {
		return p
	}
	reqs := scheduling.NewStrictPodRequirements(pod)
	p := placement{arch: pinned(reqs, corev1.LabelArchStable), capacityType: pinned(reqs, karpv1.CapacityTypeLabelKey)}
	for _, pl := range m.pools {
		if pl.taints.ToleratesPod(pod) != nil {
			continue
		}
		if pl.reqs.Compatible(reqs, scheduling.AllowUndefinedWellKnownLabels) == nil {
			p.pools = append(p.pools, pl.name)
		}
	}
	m.memo[key] = p
	return p
}

// pinned returns the single value a requirement allows, or Any.
func pinned(reqs scheduling.Requirements, key string) string {
	if !reqs.Has(key) {
		return Any
	}
	vals := reqs.Get(key).Values()
	if len(vals) != 1 {
		return Any
	}
	return vals[0]
}

// signature is a stable string of everything matching reads from a pod.
func (m *matcher) signature(pod *corev1.Pod) string {
	sb := &m.sb
	sb.Reset()
	keys := make([]string, 0, len(pod.Spec.NodeSelector))
	for k := range pod.Spec.NodeSelector {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		sb.WriteString(k + "=" + pod.Spec.NodeSelector[k] + ";")
	}
	sb.WriteByte('|')
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, e := range t.MatchExpressions {
				sb.WriteString(e.Key + string(e.Operator) + strings.Join(e.Values, ",") + ";")
			}
			sb.WriteByte('/')
		}
	}
	sb.WriteByte('|')
	for _, t := range pod.Spec.Tolerations {
		sb.WriteString(t.Key + string(t.Operator) + t.Value + string(t.Effect) + ";")
	}
	return sb.String()
}
