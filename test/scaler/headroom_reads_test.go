package scaler_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"jobfit.dev/jobfit/scaler/controllers/headroom"
	"jobfit.dev/jobfit/scaler/fallback"
	"jobfit.dev/jobfit/scaler/metrics"
)

// countingReader counts the live reads a controller makes through it, by
// object kind, and passes them to the API server.
type countingReader struct {
	client.Reader
	mu     sync.Mutex
	counts map[string]int
}

func (r *countingReader) count(obj any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[fmt.Sprintf("%T", obj)]++
}

func (r *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	r.count(obj)
	return r.Reader.Get(ctx, key, obj, opts...)
}

func (r *countingReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	r.count(list)
	return r.Reader.List(ctx, list, opts...)
}

func (r *countingReader) take() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.counts
	r.counts = map[string]int{}
	return out
}

// TestHeadroomReadsLiveOnlyWhatItNeeds: a headroom pass runs on every job
// pod event, so it reads the PriorityClass and its owner ConfigMap live
// only when it creates placeholders, and never a scheduler's Lease (the
// scaler caches jobfit's namespace's Leases); placeholders are always
// listed live.
func TestHeadroomReadsLiveOnlyWhatItNeeds(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	h := newHarness(ctx, t, ciPoolsPolicy+`headroom:
  enabled: true
  perArch: {amd64: {min: 1, max: 1}, arm64: {min: 1, max: 1}}
  podTemplate: {schedulerName: jobfit-binpack}
`)
	require.NoError(t, k8s.Create(ctx, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "jobfit-binpack"},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To("jobfit-binpack-0"), LeaseDurationSeconds: ptr.To[int32](15),
			RenewTime: &metav1.MicroTime{Time: h.clock.Now()}}}))
	reader := &countingReader{Reader: k8s, counts: map[string]int{}}
	c := headroom.NewController(h.clock, k8s, reader, h.store, &fallback.Latest{}, events.NewFakeRecorder(10),
		metrics.New(prometheus.NewRegistry()), h.ns, 30*time.Second)
	pass := func() map[string]int {
		t.Helper()
		_, err := c.Reconcile(ctx, reconcile.Request{})
		require.NoError(t, err)
		return reader.take()
	}
	var (
		pc   = fmt.Sprintf("%T", &schedulingv1.PriorityClass{})
		cm   = fmt.Sprintf("%T", &corev1.ConfigMap{})
		pods = fmt.Sprintf("%T", &corev1.PodList{})
	)

	got := pass()
	require.Len(t, placeholders(ctx, t, h.ns), 2, "one per arch")
	assert.Equal(t, map[string]int{pods: 1, pc: 1, cm: 1}, got, "creating: the prerequisites once for both arches, the Lease from the cache")
	for _, p := range placeholders(ctx, t, h.ns) {
		assert.Equal(t, "jobfit-binpack", p.Spec.SchedulerName)
	}

	assert.Equal(t, map[string]int{pods: 1}, pass(), "steady: no prerequisite is read")

	// Deleting the owner deletes the placeholders (a garbage collector
	// would; envtest runs none): the next pass reads the prerequisites
	// again and recreates the owner with its new UID.
	owner := &corev1.ConfigMap{}
	require.NoError(t, k8s.Get(ctx, client.ObjectKey{Namespace: h.ns, Name: headroom.OwnerName}, owner))
	require.NoError(t, k8s.Delete(ctx, owner))
	require.NoError(t, k8s.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(h.ns), client.GracePeriodSeconds(0)))
	require.Eventually(t, func() bool { return len(placeholders(ctx, t, h.ns)) == 0 }, 10*time.Second, 100*time.Millisecond)
	got = pass()
	assert.Equal(t, 1, got[pc])
	assert.Equal(t, 1, got[cm])
	require.NoError(t, k8s.Get(ctx, client.ObjectKey{Namespace: h.ns, Name: headroom.OwnerName}, owner))
	created := placeholders(ctx, t, h.ns)
	require.Len(t, created, 2)
	for _, p := range created {
		require.Len(t, p.OwnerReferences, 1)
		assert.Equal(t, owner.UID, p.OwnerReferences[0].UID, "owned by the owner as it is now")
	}
}
