package replay

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
)

// Interrupter plays AWS reclaiming spot instances: each running spot node
// is interrupted at Rate per node-hour (trace time), drawn with a seeded
// source. The interruption warning comes Notice (two minutes on AWS)
// before the instance goes: at the warning Karpenter's interruption
// controller deletes the NodeClaim, which cordons and drains the node (job
// pods, annotated karpenter.sh/do-not-disrupt, stay); when the instance
// goes, the pods still on it die with it.
type Interrupter struct {
	Client    client.Client
	Recorder  *Recorder
	Clock     Clock
	Rate      float64
	Rand      *rand.Rand
	Namespace string
	Notice    time.Duration
	// Log says what happened.
	Log func(format string, args ...any)
}

// interruptTick is how often (trace time) each spot node may be drawn.
const interruptTick = 10 * time.Second

// Run interrupts spot nodes until ctx is done.
func (in *Interrupter) Run(ctx context.Context) error {
	p := 1 - math.Exp(-in.Rate*interruptTick.Hours())
	ticker := time.NewTicker(in.Clock.Wall(interruptTick))
	defer ticker.Stop()
	noticed := map[string]bool{}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		var list karpv1.NodeClaimList
		if err := in.Client.List(ctx, &list); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("listing NodeClaims: %w", err)
		}
		sort.Slice(list.Items, func(a, b int) bool { return list.Items[a].CreationTimestamp.Before(&list.Items[b].CreationTimestamp) })
		for i := range list.Items {
			nc := &list.Items[i]
			if nc.Status.NodeName == "" || nc.DeletionTimestamp != nil || noticed[nc.Name] ||
				nc.Labels[karpv1.CapacityTypeLabelKey] != karpv1.CapacityTypeSpot {
				continue
			}
			if in.Rand.Float64() < p {
				noticed[nc.Name] = true
				wg.Go(func() { in.interrupt(ctx, nc) })
			}
		}
	}
}

// interrupt gives nc's node the warning, then takes it away with its pods.
func (in *Interrupter) interrupt(ctx context.Context, nc *karpv1.NodeClaim) {
	if err := in.Client.Delete(ctx, nc); client.IgnoreNotFound(err) != nil {
		in.Log("spot interruption: deleting NodeClaim %s: %v", nc.Name, err)
		return
	}
	if !sleepUntil(ctx, time.Now().Add(in.Clock.Wall(in.Notice))) {
		return
	}
	var pods corev1.PodList
	if err := in.Client.List(ctx, &pods, client.InNamespace(in.Namespace)); err != nil {
		in.Log("spot interruption: listing pods: %v", err)
		return
	}
	killed := 0
	for i := range pods.Items {
		pod := &pods.Items[i]
		if pod.Spec.NodeName != nc.Status.NodeName || !in.Recorder.MarkInterrupted(pod.Name) {
			continue
		}
		if err := in.Client.Delete(ctx, pod, client.GracePeriodSeconds(0)); client.IgnoreNotFound(err) != nil {
			in.Log("spot interruption: deleting pod %s: %v", pod.Name, err)
			continue
		}
		killed++
	}
	in.Log("spot interruption: node %s (%s) gone, %d job pods with it", nc.Status.NodeName, nc.Labels[corev1.LabelArchStable], killed)
}
