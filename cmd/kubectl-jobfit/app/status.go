package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Status is what kubectl jobfit status shows.
type Status struct {
	Namespace string         `json:"namespace"`
	Policies  []PolicyStatus `json:"policies"`
	Webhook   WebhookStatus  `json:"webhook"`
	Capacity  CapacityInfo   `json:"capacity"`
	Scaler    *ScalerStatus  `json:"scaler,omitempty"`
	// Scheduler is the cluster policy's scheduling.schedulerName and
	// whether it runs; nil when the policy names none.
	Scheduler *SchedulerStatus `json:"scheduler,omitempty"`
	// BlockedByVolume are job pods waiting for a PersistentVolumeClaim, as
	// the scaler reported them.
	BlockedByVolume []BlockedPod `json:"blockedByVolume,omitempty"`
	Problems        []string     `json:"problems,omitempty"`
}

// PolicyStatus is one policy ConfigMap: what it holds now, and what the
// webhook last said about it (its Events).
type PolicyStatus struct {
	Kind      string `json:"kind"`
	ConfigMap string `json:"configMap"`
	// Name and Hash are the policy the ConfigMap holds, as the webhook
	// computes them (the hash jobfit.dev/applied records); empty when invalid.
	Name  string `json:"name,omitempty"`
	Hash  string `json:"hash,omitempty"`
	Error string `json:"error,omitempty"`
	// LastLoaded and LastRejected are the newest PolicyLoaded and
	// PolicyRejected Events; a rejection newer than the last load means the
	// webhook (or scaler) runs an older, good policy.
	LastLoaded   *EventInfo `json:"lastLoaded,omitempty"`
	LastRejected *EventInfo `json:"lastRejected,omitempty"`
	// LastConflict is the newest PolicyConflict Event: several valid
	// policies of one kind in one namespace, none of them used.
	LastConflict *EventInfo `json:"lastConflict,omitempty"`
	// InForce is true for the one ConfigMap of its kind and namespace the
	// webhook uses: the only valid one.
	InForce bool `json:"inForce"`
}

// CapacityInfo is the spot status per arch, and the node classes that are
// not Ready, from jobfit-capacity-status.
type CapacityInfo struct {
	Found               bool                          `json:"found"`
	Degraded            []v1alpha1.DegradedCapacity   `json:"degraded,omitempty"`
	NodeClassesNotReady []v1alpha1.NodeClassCondition `json:"nodeClassesNotReady,omitempty"`
	Error               string                        `json:"error,omitempty"`
}

func newStatusCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show jobfit's policies, webhook configuration, spot status, managed NodePools and headroom",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			s, err := GetStatus(cmd.Context(), c, o.JobfitNamespace, o.HeadroomNamespace, o.WebhookConfig, time.Now())
			if err != nil {
				return err
			}
			return o.render(s, s.write)
		},
	}
}

// GetStatus reads jobfit's state from the cluster at now.
func GetStatus(ctx context.Context, c client.Client, jobfitNS, headroomNS, webhookConfig string, now time.Time) (*Status, error) {
	s := &Status{Namespace: jobfitNS}
	var cluster *policy.Policy
	var err error
	if s.Policies, s.Problems, cluster, err = policyStatuses(ctx, c, jobfitNS); err != nil {
		return nil, err
	}
	mwc, err := readWebhookConfig(ctx, c, webhookConfig)
	if err != nil {
		return nil, err
	}
	s.Webhook = webhookStatus(mwc, webhookConfig, now)
	s.Problems = append(s.Problems, s.Webhook.Problems...)
	st, found, err := capacityStatus(ctx, c, jobfitNS)
	s.Capacity = CapacityInfo{Found: found, Degraded: st.Degraded, NodeClassesNotReady: st.NodeClassesNotReady}
	for _, nc := range st.NodeClassesNotReady {
		s.Problems = append(s.Problems, fmt.Sprintf("node class %s (NodePools %s) is not Ready: %s %s",
			nc.Name, strings.Join(nc.NodePools, ", "), nc.Reason, nc.Message))
	}
	if err != nil {
		s.Capacity.Error = err.Error()
		s.Problems = append(s.Problems, err.Error())
	}
	if s.Scaler, err = scalerStatus(ctx, c, jobfitNS, headroomNS, now); err != nil {
		return nil, err
	}
	s.Scheduler = schedulerStatus(ctx, c, jobfitNS, cluster, now)
	if p := s.Scheduler.problem(); p != "" {
		s.Problems = append(s.Problems, p)
	}
	if s.BlockedByVolume, err = blockedByVolume(ctx, c); err != nil {
		return nil, err
	}
	for _, b := range s.BlockedByVolume {
		s.Problems = append(s.Problems, fmt.Sprintf("job pod %s/%s waits for a volume: %s", b.Namespace, b.Pod, b.Message))
	}
	return s, nil
}

// policyStatuses reads every cluster and namespace policy ConfigMap, loads
// (and merges) each as the webhook does, says which one the webhook uses
// in each namespace, and adds their Events. It also returns the cluster
// policy in force (nil when none is).
func policyStatuses(ctx context.Context, c client.Client, jobfitNS string) ([]PolicyStatus, []string, *policy.Policy, error) {
	cands, err := candidates(ctx, c, jobfitNS, v1alpha1.PolicyKindCluster, loadCluster)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(cands) == 0 {
		msg := fmt.Sprintf("no ConfigMap labelled %s=%s in %s: the webhook is not ready", v1alpha1.PolicyLabel, v1alpha1.PolicyKindCluster, jobfitNS)
		return []PolicyStatus{{Kind: v1alpha1.PolicyKindCluster, Error: msg}}, []string{msg}, nil, nil
	}
	rows, problems, err := statusRows(ctx, c, v1alpha1.PolicyKindCluster, cands)
	if err != nil {
		return nil, nil, nil, err
	}
	var cluster *policy.Policy
	if in, _ := inForce(cands); in != nil {
		cluster = in.Policy
	}
	list := &corev1.ConfigMapList{}
	if err := c.List(ctx, list, client.MatchingLabels{v1alpha1.PolicyLabel: v1alpha1.PolicyKindNamespace}); err != nil {
		return nil, nil, nil, fmt.Errorf("listing namespace policy configmaps: %w", err)
	}
	namespaces := map[string]bool{}
	for _, cm := range list.Items {
		if cm.Namespace != jobfitNS {
			namespaces[cm.Namespace] = true
		}
	}
	for _, ns := range sortedKeys(namespaces) {
		cands, err := candidates(ctx, c, ns, v1alpha1.PolicyKindNamespace, mergeWith(cluster))
		if err != nil {
			return nil, nil, nil, err
		}
		nsRows, nsProblems, err := statusRows(ctx, c, v1alpha1.PolicyKindNamespace, cands)
		if err != nil {
			return nil, nil, nil, err
		}
		rows, problems = append(rows, nsRows...), append(problems, nsProblems...)
	}
	return rows, problems, cluster, nil
}

// statusRows turns the candidates of one kind in one namespace into rows.
func statusRows(ctx context.Context, c client.Client, kind string, cands []candidate) ([]PolicyStatus, []string, error) {
	in, why := inForce(cands)
	var problems []string
	if why != "" {
		problems = append(problems, fmt.Sprintf("%s policy in %s: %s", kind, cands[0].ConfigMap.Namespace, why))
	}
	rows := make([]PolicyStatus, 0, len(cands))
	for i := range cands {
		cand := &cands[i]
		ps := PolicyStatus{Kind: kind, ConfigMap: cand.ConfigMap.Namespace + "/" + cand.ConfigMap.Name, InForce: cand == in}
		if cand.Policy != nil {
			ps.Name, ps.Hash = cand.Policy.Name(), cand.Policy.Hash()
		} else {
			ps.Error = fieldErrors(cand.Errs)
		}
		if err := withEvents(ctx, c, cand.ConfigMap, &ps); err != nil {
			return nil, nil, err
		}
		rows = append(rows, ps)
	}
	return rows, problems, nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func withEvents(ctx context.Context, c client.Client, cm *corev1.ConfigMap, ps *PolicyStatus) error {
	var err error
	if ps.LastLoaded, err = latestEvent(ctx, c, cm, v1alpha1.ReasonPolicyLoaded); err != nil {
		return err
	}
	if ps.LastRejected, err = latestEvent(ctx, c, cm, v1alpha1.ReasonPolicyRejected); err != nil {
		return err
	}
	ps.LastConflict, err = latestEvent(ctx, c, cm, v1alpha1.ReasonPolicyConflict)
	return err
}
