package scaler_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/controller-runtime/pkg/client"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/signals"
)

// TestWatchSeesNodeClaimsThatAreGone runs a whole scaler manager: a
// NodeClaim that Karpenter deletes for insufficient capacity loses its
// finalizer at once, so the object is often gone before a pass could read
// it. The watch keeps its last state for the pass. (A running manager has
// no fake clock, so this one test waits for the result.)
func TestWatchSeesNodeClaimsThatAreGone(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	ns := "jobfit-watch-" + rand.String(5)
	startScalerWithSignalsPolicy(ctx, t, ns)

	nc := spotNodeClaim(ctx, t, false)
	nc.Finalizers = nil
	require.NoError(t, k8s.Update(ctx, nc))
	require.NoError(t, k8s.Delete(ctx, nc))
	require.Eventually(t, func() bool {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(nc), &karpv1.NodeClaim{})
		return apierrors.IsNotFound(err)
	}, 10*time.Second, 50*time.Millisecond, "the NodeClaim is gone")

	var st v1alpha1.CapacityStatus
	require.Eventually(t, func() bool {
		st, _ = capacityStatus(ctx, t, ns)
		return st.IsDegraded("arm64", v1alpha1.CapacitySpot)
	}, 30*time.Second, 100*time.Millisecond, "arm64 spot is degraded from the deleted NodeClaim alone")
	assert.Equal(t, string(signals.CauseInsufficientCapacity), st.Degraded[0].Cause)
	assert.Contains(t, st.Degraded[0].Reason, nc.Name)
}

// startScalerWithSignalsPolicy runs a whole scaler manager in a new
// namespace ns with signalsPolicy, and waits for its first pass (it reports
// the example EC2NodeClass Ready): its watches are then running.
func startScalerWithSignalsPolicy(ctx context.Context, t *testing.T, ns string) {
	t.Helper()
	require.NoError(t, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	require.NoError(t, k8s.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "jobfit-scaler", Namespace: ns, Labels: map[string]string{v1alpha1.PolicyLabel: "scaler"}},
		Data:       map[string]string{v1alpha1.PolicyDataKey: signalsPolicy},
	}))
	sp := startScaler(t, ns)
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(sp.controllers.Metrics.NodeClassReady.WithLabelValues(exampleNodeClass)) == 1
	}, 30*time.Second, 50*time.Millisecond, "the scaler has made a pass")
}
