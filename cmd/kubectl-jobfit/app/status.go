package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy"
)

// Status is what kubectl jobfit status shows.
type Status struct {
	Namespace string         `json:"namespace"`
	Policies  []PolicyStatus `json:"policies"`
	Webhook   WebhookStatus  `json:"webhook"`
	Capacity  CapacityInfo   `json:"capacity"`
	Scaler    *ScalerStatus  `json:"scaler,omitempty"`
	Problems  []string       `json:"problems,omitempty"`
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
}

// CapacityInfo is the spot status per arch, and the node classes that are
// not Ready, from jobfit-capacity-status.
type CapacityInfo struct {
	Found               bool                        `json:"found"`
	Degraded            []policy.DegradedCapacity   `json:"degraded,omitempty"`
	NodeClassesNotReady []policy.NodeClassCondition `json:"nodeClassesNotReady,omitempty"`
	Error               string                      `json:"error,omitempty"`
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
			s, err := GetStatus(cmd.Context(), c, o.JobfitNamespace, o.WebhookConfig, time.Now())
			if err != nil {
				return err
			}
			return o.render(s, s.write)
		},
	}
}

// GetStatus reads jobfit's state from the cluster at now.
func GetStatus(ctx context.Context, c client.Client, jobfitNS, webhookConfig string, now time.Time) (*Status, error) {
	s := &Status{Namespace: jobfitNS}
	var err error
	if s.Policies, err = policyStatuses(ctx, c, jobfitNS); err != nil {
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
	if s.Scaler, err = scalerStatus(ctx, c, jobfitNS, now); err != nil {
		return nil, err
	}
	for _, p := range s.Policies {
		if p.Error != "" {
			s.Problems = append(s.Problems, fmt.Sprintf("%s policy %s: %s", p.Kind, p.ConfigMap, p.Error))
		}
	}
	return s, nil
}

// policyStatuses reads the cluster policy, every namespace policy (merged
// with the cluster's, as the webhook does) and their Events.
func policyStatuses(ctx context.Context, c client.Client, jobfitNS string) ([]PolicyStatus, error) {
	clusterCM, err := pickPolicy(ctx, c, jobfitNS, kindCluster)
	if err != nil {
		return nil, err
	}
	if clusterCM == nil {
		return []PolicyStatus{{Kind: kindCluster, Error: fmt.Sprintf("no ConfigMap labelled %s=%s in %s: the webhook is not ready", policy.PolicyLabel, kindCluster, jobfitNS)}}, nil
	}
	cluster, errs := policy.Load(document(clusterCM))
	ps := PolicyStatus{Kind: kindCluster, ConfigMap: clusterCM.Namespace + "/" + clusterCM.Name}
	if len(errs) > 0 {
		ps.Error, cluster = fieldErrors(errs), nil
	} else {
		ps.Name, ps.Hash = cluster.Name(), cluster.Hash()
	}
	if err := withEvents(ctx, c, clusterCM, &ps); err != nil {
		return nil, err
	}
	nss, err := namespacePolicyStatuses(ctx, c, cluster)
	if err != nil {
		return nil, err
	}
	return append([]PolicyStatus{ps}, nss...), nil
}

// namespacePolicyStatuses reads the namespace policy the webhook uses in
// each namespace, merged with cluster (nil when the cluster policy is
// invalid).
func namespacePolicyStatuses(ctx context.Context, c client.Client, cluster *policy.Policy) ([]PolicyStatus, error) {
	list := &corev1.ConfigMapList{}
	if err := c.List(ctx, list, client.MatchingLabels{policy.PolicyLabel: kindNamespace}); err != nil {
		return nil, fmt.Errorf("listing namespace policy configmaps: %w", err)
	}
	var out []PolicyStatus
	for i := range list.Items {
		cm := &list.Items[i]
		if picked, err := pickPolicy(ctx, c, cm.Namespace, kindNamespace); err != nil || picked == nil || picked.Name != cm.Name {
			continue // the webhook uses the first by name only
		}
		ps := PolicyStatus{Kind: kindNamespace, ConfigMap: cm.Namespace + "/" + cm.Name}
		switch merged, _, errs := mergeOrNil(cluster, cm); {
		case cluster == nil:
			ps.Error = "not merged: the cluster policy is invalid"
		case len(errs) > 0:
			ps.Error = fieldErrors(errs)
		default:
			ps.Name, ps.Hash = merged.Name(), merged.Hash()
		}
		if err := withEvents(ctx, c, cm, &ps); err != nil {
			return nil, err
		}
		out = append(out, ps)
	}
	return out, nil
}

func mergeOrNil(cluster *policy.Policy, cm *corev1.ConfigMap) (*policy.Policy, []string, field.ErrorList) {
	if cluster == nil {
		return nil, nil, nil
	}
	return policy.Merge(cluster, document(cm))
}

func withEvents(ctx context.Context, c client.Client, cm *corev1.ConfigMap, ps *PolicyStatus) error {
	var err error
	if ps.LastLoaded, err = latestEvent(ctx, c, cm, reasonPolicyLoaded); err != nil {
		return err
	}
	ps.LastRejected, err = latestEvent(ctx, c, cm, reasonPolicyRejected)
	return err
}
