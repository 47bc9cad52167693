package scaler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// crdPollInterval is how often a scaler without Karpenter's CRDs looks for
// them again.
const crdPollInterval = 15 * time.Second

// requiredKinds are the Karpenter kinds the scaler's controllers watch:
// each plans from a snapshot that lists NodePools, and the fallback watches
// NodeClaims. (The EC2NodeClass is optional: without it, node class
// readiness is not reported.)
var requiredKinds = []schema.GroupVersionKind{
	{Group: "karpenter.sh", Version: "v1", Kind: "NodePool"},
	{Group: "karpenter.sh", Version: "v1", Kind: "NodeClaim"},
}

// errCRDsMissing is the readiness failure while Karpenter's CRDs are absent.
var errCRDsMissing = errors.New("the Karpenter CRDs are not installed (karpenter.sh/v1 NodePool, NodeClaim): the scaler waits for them and tunes nothing")

// crdGate holds the scaler's controllers back until Karpenter's CRDs exist.
// Without it the controllers' informers fail to sync ("no matches for kind
// NodePool" every few seconds), the manager gives up after its cache sync
// timeout and exits, and the pod crash-loops while reporting ready. With
// it the scaler says plainly what is missing, is not ready, and starts
// the controllers when the CRDs appear.
type crdGate struct {
	mapper   meta.RESTMapper
	register func(context.Context) error
	ready    atomic.Bool
}

// missingKinds returns the required kinds the API server does not serve.
func missingKinds(mapper meta.RESTMapper) ([]schema.GroupVersionKind, error) {
	var missing []schema.GroupVersionKind
	for _, gvk := range requiredKinds {
		_, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		switch {
		case meta.IsNoMatchError(err):
			missing = append(missing, gvk)
		case err != nil:
			return nil, fmt.Errorf("looking up %s: %w", gvk, err)
		}
	}
	return missing, nil
}

// ReadyCheck is the scaler's readyz check for Karpenter's CRDs.
func (g *crdGate) ReadyCheck(_ *http.Request) error {
	if g.ready.Load() {
		return nil
	}
	return errCRDsMissing
}

// NeedLeaderElection is false: every replica reports its readiness.
func (g *crdGate) NeedLeaderElection() bool { return false }

// Start waits for the CRDs, then registers the controllers. It never
// returns an error for missing CRDs: waiting is the point.
func (g *crdGate) Start(ctx context.Context) error {
	logger := log.FromContext(ctx)
	logger.Info("Karpenter's CRDs are not installed; the scaler is not ready and waits for them", "kinds", requiredKinds)
	ticker := time.NewTicker(crdPollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		missing, err := missingKinds(g.mapper)
		if err != nil {
			logger.Error(err, "looking for Karpenter's CRDs")
			continue
		}
		if len(missing) > 0 {
			logger.V(1).Info("still waiting for Karpenter's CRDs", "missing", missing)
			continue
		}
		logger.Info("Karpenter's CRDs are installed; starting the scaler's controllers")
		if err := g.register(ctx); err != nil {
			return err
		}
		g.ready.Store(true)
		return nil
	}
}

// gateOnCRDs registers the controllers now when Karpenter's CRDs exist, or
// else once they appear, and adds the readiness check either way.
func gateOnCRDs(ctx context.Context, mgr ctrl.Manager, register func(context.Context) error) error {
	g := &crdGate{mapper: mgr.GetRESTMapper(), register: register}
	if err := mgr.AddReadyzCheck("karpenter-crds", g.ReadyCheck); err != nil {
		return fmt.Errorf("adding karpenter CRD readiness check: %w", err)
	}
	missing, err := missingKinds(g.mapper)
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		g.ready.Store(true)
		return register(ctx)
	}
	return mgr.Add(g)
}
