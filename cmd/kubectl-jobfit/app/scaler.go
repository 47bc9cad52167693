package app

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/policy/source"
	"jobfit.dev/jobfit/scaler/config"
	"jobfit.dev/jobfit/scaler/headroom"
)

// ScalerStatus is the ScalerPolicy and what it manages.
type ScalerStatus struct {
	ConfigMap    string           `json:"configMap"`
	Name         string           `json:"name,omitempty"`
	DryRun       bool             `json:"dryRun"`
	Error        string           `json:"error,omitempty"`
	LastRejected *EventInfo       `json:"lastRejected,omitempty"`
	NodePools    []NodePoolStatus `json:"nodePools,omitempty"`
	Headroom     []HeadroomStatus `json:"headroom,omitempty"`
}

// NodePoolStatus is a managed NodePool: its live limits and weight, and the
// floor and ceiling the ScalerPolicy allows.
type NodePoolStatus struct {
	Name             string            `json:"name"`
	Role             string            `json:"role"`
	Found            bool              `json:"found"`
	Weight           *int32            `json:"weight,omitempty"`
	ConsolidateAfter string            `json:"consolidateAfter,omitempty"`
	Limits           map[string]string `json:"limits,omitempty"`
	Floor            map[string]string `json:"floor,omitempty"`
	Ceiling          map[string]string `json:"ceiling,omitempty"`
	// AtCeiling lists the resources whose limit has reached the ceiling.
	AtCeiling []string `json:"atCeiling,omitempty"`
}

// HeadroomStatus is one arch's placeholders. The scaler's wanted count
// follows demand it keeps in memory; what the cluster shows is the
// placeholders it created for it (none in dry run), the policy's bounds and
// the minimum its schedules ask for now.
type HeadroomStatus struct {
	Arch         string `json:"arch"`
	Min          int    `json:"min"`
	Max          int    `json:"max"`
	ScheduledMin int    `json:"scheduledMin"`
	Placeholders int    `json:"placeholders"`
	Running      int    `json:"running"`
	Pending      int    `json:"pending"`
}

// scalerStatus returns nil when no ScalerPolicy ConfigMap exists.
func scalerStatus(ctx context.Context, c client.Client, jobfitNS, headroomNS string, now time.Time) (*ScalerStatus, error) {
	list := &corev1.ConfigMapList{}
	if err := c.List(ctx, list, client.InNamespace(jobfitNS), client.MatchingLabels{v1alpha1.PolicyLabel: v1alpha1.PolicyKindScaler}); err != nil {
		return nil, fmt.Errorf("listing scaler policy configmaps in %s: %w", jobfitNS, err)
	}
	cands := source.Load(source.Candidates(list.Items), func(cm *corev1.ConfigMap) (*v1alpha1.ScalerPolicy, field.ErrorList) {
		return config.Load(source.Document(cm))
	})
	if len(cands) == 0 {
		return nil, nil
	}
	// The one in force, by the rule the scaler uses; with none in force,
	// the first by name, and why none is.
	d := source.Decide(cands)
	shown := &cands[0]
	if d.InForce != nil {
		shown = d.InForce
	}
	cm := shown.ConfigMap
	s := &ScalerStatus{ConfigMap: cm.Namespace + "/" + cm.Name}
	var err error
	if s.LastRejected, err = latestEvent(ctx, c, cm, v1alpha1.ReasonPolicyRejected); err != nil {
		return nil, err
	}
	if d.InForce == nil {
		s.Error = d.Why("the scaler")
		return s, nil
	}
	p := d.InForce.Policy
	s.Name, s.DryRun = p.Metadata.Name, p.DryRun
	for _, np := range p.NodePools {
		st, err := nodePoolStatus(ctx, c, p, np)
		if err != nil {
			return nil, err
		}
		s.NodePools = append(s.NodePools, st)
	}
	s.Headroom, err = headroomStatus(ctx, c, headroomNS, p, now)
	return s, err
}

func nodePoolStatus(ctx context.Context, c client.Client, p *v1alpha1.ScalerPolicy, np v1alpha1.ScalerNodePool) (NodePoolStatus, error) {
	st := NodePoolStatus{Name: np.Name, Role: string(np.Role)}
	if r, ok := p.Limits.NodePools[np.Name]; ok {
		st.Floor, st.Ceiling = quantities(r.Floor), quantities(r.Ceiling)
	}
	pool := &karpv1.NodePool{}
	err := c.Get(ctx, client.ObjectKey{Name: np.Name}, pool)
	if apierrors.IsNotFound(err) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("reading NodePool %s: %w", np.Name, err)
	}
	st.Found, st.Weight = true, pool.Spec.Weight
	if d := pool.Spec.Disruption.ConsolidateAfter.Duration; d != nil {
		st.ConsolidateAfter = d.String()
	}
	st.Limits = map[string]string{}
	for name, q := range pool.Spec.Limits {
		st.Limits[string(name)] = q.String()
		if ceil, ok := p.Limits.NodePools[np.Name].Ceiling[name]; ok && q.Cmp(ceil.Value()) >= 0 {
			st.AtCeiling = append(st.AtCeiling, string(name))
		}
	}
	sort.Strings(st.AtCeiling)
	return st, nil
}

func quantities(m map[corev1.ResourceName]v1alpha1.Quantity) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range m {
		out[string(k)] = v.String()
	}
	return out
}

// headroomStatus counts placeholders per arch (labelled jobfit.dev/headroom
// with their arch, in the headroom namespace) against the policy.
func headroomStatus(ctx context.Context, c client.Client, headroomNS string, p *v1alpha1.ScalerPolicy, now time.Time) ([]HeadroomStatus, error) {
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(headroomNS), client.HasLabels{v1alpha1.HeadroomLabel}); err != nil {
		return nil, fmt.Errorf("listing headroom pods: %w", err)
	}
	byArch := map[string]*HeadroomStatus{}
	for arch, cfg := range p.Headroom.PerArch {
		byArch[arch] = &HeadroomStatus{Arch: arch, Min: cfg.Min, Max: cfg.Max, ScheduledMin: headroom.ScheduledMin(cfg.Schedules, now)}
	}
	for _, pod := range pods.Items {
		arch := pod.Labels[v1alpha1.HeadroomLabel]
		h, ok := byArch[arch]
		if !ok {
			h = &HeadroomStatus{Arch: arch}
			byArch[arch] = h
		}
		h.Placeholders++
		if pod.Spec.NodeName != "" {
			h.Running++
		} else {
			h.Pending++
		}
	}
	out := make([]HeadroomStatus, 0, len(byArch))
	for _, h := range byArch {
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Arch < out[j].Arch })
	return out, nil
}
