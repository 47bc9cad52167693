package scaler_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"

	"jobfit.dev/jobfit/cmd/jobfit/app"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler"
)

// writeCounter counts the writes a manager's client makes. It wraps the
// real client and changes nothing.
type writeCounter struct {
	client.Client
	n *atomic.Int64
}

func (w writeCounter) Create(ctx context.Context, o client.Object, opts ...client.CreateOption) error {
	w.n.Add(1)
	return w.Client.Create(ctx, o, opts...)
}

func (w writeCounter) Update(ctx context.Context, o client.Object, opts ...client.UpdateOption) error {
	w.n.Add(1)
	return w.Client.Update(ctx, o, opts...)
}

func (w writeCounter) Patch(ctx context.Context, o client.Object, p client.Patch, opts ...client.PatchOption) error {
	w.n.Add(1)
	return w.Client.Patch(ctx, o, p, opts...)
}

func (w writeCounter) Delete(ctx context.Context, o client.Object, opts ...client.DeleteOption) error {
	w.n.Add(1)
	return w.Client.Delete(ctx, o, opts...)
}

func (w writeCounter) Apply(ctx context.Context, o runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	w.n.Add(1)
	return w.Client.Apply(ctx, o, opts...)
}

type scalerProcess struct {
	writes      atomic.Int64
	controllers *scaler.Controllers
	cancel      context.CancelFunc
	done        chan error
	err         error // what the manager's Start returned
}

// startScaler runs a whole scaler manager, wired as `jobfit scaler` wires
// it, with short leader-election timings; each with changes the options.
func startScaler(t *testing.T, ns string, with ...func(*scaler.Options)) *scalerProcess {
	t.Helper()
	p := &scalerProcess{done: make(chan error, 1)}
	o := &app.ScalerOptions{Namespace: ns, LeaderElect: true, LeaderElectionID: "jobfit-scaler", MetricsBindAddress: "0", HealthProbeBindAddress: "0"}
	opts := app.ScalerManagerOptions(o, scheme)
	opts.LeaseDuration, opts.RenewDeadline, opts.RetryPeriod = ptr.To(2*time.Second), ptr.To(time.Second), ptr.To(100*time.Millisecond)
	opts.Controller = config.Controller{SkipNameValidation: ptr.To(true)} // two managers in one process
	opts.NewClient = func(c *rest.Config, co client.Options) (client.Client, error) {
		cl, err := client.New(c, co)
		return writeCounter{Client: cl, n: &p.writes}, err
	}
	mgr, err := ctrl.NewManager(cfg, opts)
	require.NoError(t, err)
	so := scaler.Options{Namespace: ns, SyncPeriod: time.Second, Registerer: prometheus.NewRegistry()}
	for _, w := range with {
		w(&so)
	}
	p.controllers, err = scaler.Setup(t.Context(), mgr, so)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- mgr.Start(ctx) }()
	t.Cleanup(p.stop)
	return p
}

func (p *scalerProcess) stop() {
	if p.cancel != nil {
		p.cancel()
		p.err = <-p.done
		p.cancel = nil
	}
}

func scalerPolicyConfigMap(ns, floor string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "jobfit-scaler", Namespace: ns, Labels: map[string]string{v1alpha1.PolicyLabel: "scaler"}},
		Data: map[string]string{v1alpha1.PolicyDataKey: fmtPolicy(ciPoolsPolicy+`limits:
  nodePools:
    ci-on-demand: {floor: {cpu: %q}, ceiling: {cpu: "512"}}
`, floor)},
	}
}

func TestLeaderElectionOnlyTheLeaderWrites(t *testing.T) {
	ctx := t.Context()
	applyExamples(ctx, t)
	ns := "jobfit-le-" + rand.String(5)
	require.NoError(t, k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	cm := scalerPolicyConfigMap(ns, "80")
	require.NoError(t, k8s.Create(ctx, cm))

	a, b := startScaler(t, ns), startScaler(t, ns)
	require.Eventually(t, func() bool { return cpu(ctx, t, "ci-on-demand") == "80" }, 30*time.Second, 100*time.Millisecond,
		"the leader raises the limit to the floor")
	leader, follower := a, b
	if b.writes.Load() > 0 {
		leader, follower = b, a
	}
	assert.Positive(t, leader.writes.Load())
	assert.Zero(t, follower.writes.Load(), "the follower writes nothing")

	// Kill the leader; the follower takes over and acts on a policy change.
	leader.stop()
	require.NoError(t, leader.err, "the leader shuts down cleanly")
	require.NoError(t, k8s.Get(ctx, client.ObjectKeyFromObject(cm), cm))
	cm.Data = scalerPolicyConfigMap(ns, "96").Data
	require.NoError(t, k8s.Update(ctx, cm))
	require.Eventually(t, func() bool { return cpu(ctx, t, "ci-on-demand") == "96" }, 30*time.Second, 100*time.Millisecond,
		"the new leader applies the new floor")
	assert.Positive(t, follower.writes.Load())
}
