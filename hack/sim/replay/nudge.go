package replay

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// AnnotationNudged marks the pending job pods the replay touched after a
// restart of Karpenter (NudgePending).
const AnnotationNudged = "sim.jobfit.dev/karpenter-restarted"

// WaitKarpenterSynced polls Karpenter's metrics until its cluster state is
// synced (karpenter_cluster_state_synced 1): before that, its provisioner
// drops what it is triggered for.
func WaitKarpenterSynced(ctx context.Context, metricsURL string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if synced, _ := karpenterSynced(ctx, metricsURL); synced {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("karpenter's cluster state not synced within %s (%s)", timeout, metricsURL)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func karpenterSynced(ctx context.Context, url string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	defer func() { _ = resp.Body.Close() }()
	return Synced(bufio.NewScanner(resp.Body)), nil
}

// Synced reports whether Prometheus text exposition says
// karpenter_cluster_state_synced 1.
func Synced(sc *bufio.Scanner) bool {
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "karpenter_cluster_state_synced" {
			return f[1] == "1"
		}
	}
	return false
}

// NudgePending annotates every pending pod in namespace. Karpenter's pod
// watch triggers its provisioner on the update; without it, pods that were
// pending when Karpenter restarted wait for Karpenter's 10-second requeue
// (wall time, so 10 s times the speed in trace time). A real outage does
// not restart Karpenter: this keeps the restart the replay needs from
// adding that wait. It returns how many pods it touched.
func NudgePending(ctx context.Context, c client.Client, namespace string, at time.Time) (int, error) {
	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(namespace)); err != nil {
		return 0, fmt.Errorf("listing pods: %w", err)
	}
	n := 0
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil {
			continue
		}
		patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, AnnotationNudged, at.UTC().Format(time.RFC3339Nano))
		if err := c.Patch(ctx, pod, client.RawPatch(types.MergePatchType, patch)); client.IgnoreNotFound(err) != nil {
			return n, fmt.Errorf("annotating pod %s: %w", pod.Name, err)
		}
		n++
	}
	return n, nil
}
