package rbac

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/scaler"
)

// TestScalerCanWatchWhatItCaches starts the scaler's cache
// (scaler.CacheOptions) as the scaler's ServiceAccount under the shipped
// RBAC, and lists through it the Leases and ConfigMaps of jobfit's
// namespace and the pods it reads. A read the cache cannot list or watch
// never syncs, and a controller that reads through it waits forever: the
// headroom pass reads the packing scheduler's Lease this way.
func TestScalerCanWatchWhatItCaches(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := runtime.NewScheme()
	require.NoError(t, scaler.AddToScheme(s))
	opts := scaler.CacheOptions(jobfitNS)
	opts.Scheme = s
	c, err := cache.New(stack.AsServiceAccount(cfg, jobfitNS, "jobfit-scaler"), opts)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- c.Start(ctx) }()
	require.True(t, c.WaitForCacheSync(ctx), "the cache starts")
	for _, list := range []client.ObjectList{&coordinationv1.LeaseList{}, &corev1.ConfigMapList{}, &corev1.PodList{}} {
		require.NoError(t, c.List(ctx, list, client.InNamespace(jobfitNS)), "%T: the scaler may list and watch it", list)
	}
	cancel()
	require.NoError(t, <-done)
}
