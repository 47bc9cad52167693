package app

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// BlockedPod is a job pod the scaler reported waiting for a volume
// (Event JobBlockedByVolume), and that has still not started.
type BlockedPod struct {
	Namespace string    `json:"namespace"`
	Pod       string    `json:"pod"`
	Message   string    `json:"message"`
	Since     time.Time `json:"since"`
}

// blockedByVolume reads the scaler's JobBlockedByVolume Events and keeps
// the newest of each pod that is still pending.
func blockedByVolume(ctx context.Context, c client.Client) ([]BlockedPod, error) {
	var list corev1.EventList
	if err := c.List(ctx, &list, client.MatchingFields{"reason": v1alpha1.ReasonJobBlockedByVolume}); err != nil {
		return nil, fmt.Errorf("listing %s events: %w", v1alpha1.ReasonJobBlockedByVolume, err)
	}
	newest := map[types.UID]BlockedPod{}
	for i := range list.Items {
		e := &list.Items[i]
		if e.InvolvedObject.Kind != "Pod" {
			continue
		}
		b := BlockedPod{Namespace: e.InvolvedObject.Namespace, Pod: e.InvolvedObject.Name, Message: e.Message, Since: eventTime(*e)}
		if old, ok := newest[e.InvolvedObject.UID]; !ok || b.Since.After(old.Since) {
			newest[e.InvolvedObject.UID] = b
		}
	}
	var out []BlockedPod
	for uid, b := range newest {
		var pod corev1.Pod
		err := c.Get(ctx, types.NamespacedName{Namespace: b.Namespace, Name: b.Pod}, &pod)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading pod %s/%s: %w", b.Namespace, b.Pod, err)
		}
		if pod.UID == uid && pod.DeletionTimestamp == nil && (pod.Status.Phase == corev1.PodPending || pod.Status.Phase == "") {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Namespace+"/"+out[i].Pod < out[j].Namespace+"/"+out[j].Pod
	})
	return out, nil
}
