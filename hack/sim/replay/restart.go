package replay

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"
)

// DropLostLaunches deletes the NodeClaims created before restartAt whose
// node never registered. The kwok provider registers a node from a
// goroutine after the boot delay, so a restart loses every boot in flight;
// a cloud would not. Deleting their NodeClaims lets Karpenter launch again
// at once instead of after its 15-minute registration timeout.
func DropLostLaunches(ctx context.Context, c client.Client, restartAt time.Time) (int, error) {
	var list karpv1.NodeClaimList
	if err := c.List(ctx, &list); err != nil {
		return 0, fmt.Errorf("listing NodeClaims: %w", err)
	}
	n := 0
	for i := range list.Items {
		nc := &list.Items[i]
		if nc.Status.NodeName != "" || nc.DeletionTimestamp != nil || !nc.CreationTimestamp.Time.Before(restartAt) {
			continue
		}
		if err := c.Delete(ctx, nc); client.IgnoreNotFound(err) != nil {
			return n, fmt.Errorf("deleting NodeClaim %s: %w", nc.Name, err)
		}
		n++
	}
	return n, nil
}
