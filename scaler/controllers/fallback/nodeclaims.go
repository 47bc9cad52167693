package fallback

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/signals"
)

// classified is what a terminating NodeClaim was found to be.
type classified struct {
	failure signals.SpotFailure
	ok      bool
	at      time.Time
}

// deletedNodeClaims keeps the last state of the NodeClaims the watch saw
// deleted until the next pass classifies them. Karpenter removes its
// finalizer from an unlaunched NodeClaim moments after deleting it, so the
// cache may no longer hold the NodeClaim when the pass runs.
type deletedNodeClaims struct {
	mu     sync.Mutex
	claims map[types.UID]deletedNodeClaim
}

type deletedNodeClaim struct {
	claim *karpv1.NodeClaim
	seen  time.Time
}

func (d *deletedNodeClaims) add(nc *karpv1.NodeClaim, seen time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.claims == nil {
		d.claims = map[types.UID]deletedNodeClaim{}
	}
	d.claims[nc.UID] = deletedNodeClaim{claim: nc, seen: seen}
}

// take returns and forgets what was seen since the last call.
func (d *deletedNodeClaims) take() []deletedNodeClaim {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]deletedNodeClaim, 0, len(d.claims))
	for _, c := range d.claims {
		out = append(out, c)
	}
	d.claims = nil
	return out
}

// nodeClaimEvents enqueues key whenever a NodeClaim starts terminating or is
// deleted, so that a spot failure is acted on at once rather than at the
// next sync period, and records deleted NodeClaims for the pass.
func (c *Controller) nodeClaimEvents(key types.NamespacedName) handler.TypedEventHandler[client.Object, reconcile.Request] {
	req := reconcile.Request{NamespacedName: key}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if e.Object.GetDeletionTimestamp() != nil {
				q.Add(req)
			}
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if e.ObjectNew.GetDeletionTimestamp() != nil {
				q.Add(req)
			}
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if nc, ok := e.Object.(*karpv1.NodeClaim); ok {
				c.deleted.add(nc, c.clock.Now())
				q.Add(req)
			}
		},
	}
}

// spotFailures classifies the NodeClaims that are terminating now or were
// deleted since the last pass, and returns every spot failure of the last
// pendingAfter (the planner decides what counts).
func (c *Controller) spotFailures(ctx context.Context, p *v1alpha1.ScalerPolicy, classes []signals.NodeClassState, now time.Time) ([]signals.SpotFailure, error) {
	terminating, err := c.observer.TerminatingNodeClaims(ctx)
	if err != nil {
		return nil, err
	}
	pools := failurePools(p, classes)
	if c.claims == nil {
		c.claims = map[types.UID]classified{}
	}
	// A NodeClaim is classified once, when first seen terminating: a claim
	// that the node class explained stays explained when the class is
	// Ready again while the claim is still draining.
	observe := func(nc *karpv1.NodeClaim, seen time.Time) {
		if _, known := c.claims[nc.UID]; known {
			return
		}
		f, ok := signals.NodeClaimFailure(nc, pools, seen)
		at := seen
		if nc.DeletionTimestamp != nil {
			at = nc.DeletionTimestamp.Time
		}
		c.claims[nc.UID] = classified{failure: f, ok: ok, at: at}
		c.interrupted.seen(nc, at, f, ok)
	}
	for _, nc := range terminating {
		observe(nc, now)
	}
	for _, d := range c.deleted.take() {
		observe(d.claim, d.seen)
	}
	window := p.Fallback.PendingAfter.Value()
	var out []signals.SpotFailure
	for uid, cl := range c.claims {
		switch {
		case now.Sub(cl.at) >= window:
			delete(c.claims, uid)
		case cl.ok:
			out = append(out, cl.failure)
		}
	}
	return out, nil
}

// failurePools are the spot pools of the policy, and those of them whose
// node class is not Ready.
func failurePools(p *v1alpha1.ScalerPolicy, classes []signals.NodeClassState) signals.Pools {
	pools := signals.Pools{Spot: sets.New[string](), NodeClassNotReady: sets.New[string]()}
	for _, np := range p.NodePools {
		if np.Role == v1alpha1.RoleSpot {
			pools.Spot.Insert(np.Name)
		}
	}
	for _, s := range classes {
		if !s.Ready {
			pools.NodeClassNotReady.Insert(s.NodePools...)
		}
	}
	return pools
}
