package stack

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// BinpackReplicas is how many packing-scheduler processes run, as the
// shipped Deployment's replicas.
const BinpackReplicas = 2

// minRenewDeadline is the shortest renewDeadline (wall time) the packing
// scheduler gets, whatever the speed: kube-scheduler exits when it cannot
// renew its Lease within it, and a busy machine (the replay on two cores)
// can take longer than a fraction of a second to answer. The stack does
// not restart an exited scheduler as a Deployment would.
const minRenewDeadline = 2 * time.Second

// BinpackOptions run the packing scheduler.
type BinpackOptions struct {
	// Config is the shipped KubeSchedulerConfiguration
	// (manifests/binpack-scheduler/config.yaml).
	Config string
	// Speed divides the leader-election durations (1 or less: as shipped).
	Speed float64
}

// Binpack is the running packing scheduler.
type Binpack struct {
	// SchedulerName is the profile's schedulerName.
	SchedulerName string
	// Namespace and Lease are its leader-election Lease.
	Namespace, Lease string
	procs            []*Process
}

// BinpackConfig returns the shipped configuration raw with what the stack
// must change: clientConnection.kubeconfig, and the leader-election
// durations divided by speed. The divisor is capped so that renewDeadline
// stays at least minRenewDeadline; one divisor for all three keeps the
// shipped ratios, so kube-scheduler's validation (leaseDuration >
// renewDeadline > 1.2 × retryPeriod) holds as it does for the shipped file.
// It returns the profile's schedulerName and the Lease's namespace and
// name too.
func BinpackConfig(raw []byte, kubeconfig string, speed float64) (out []byte, b *Binpack, err error) {
	cfg := &unstructured.Unstructured{}
	if err := yaml.UnmarshalStrict(raw, &cfg.Object); err != nil {
		return nil, nil, fmt.Errorf("decoding the KubeSchedulerConfiguration: %w", err)
	}
	b = &Binpack{}
	profiles, _, _ := unstructured.NestedSlice(cfg.Object, "profiles")
	if len(profiles) != 1 {
		return nil, nil, fmt.Errorf("profiles: want one profile, got %d", len(profiles))
	}
	if p, ok := profiles[0].(map[string]any); ok {
		b.SchedulerName, _ = p["schedulerName"].(string)
	}
	b.Namespace, _, _ = unstructured.NestedString(cfg.Object, "leaderElection", "resourceNamespace")
	b.Lease, _, _ = unstructured.NestedString(cfg.Object, "leaderElection", "resourceName")
	if b.SchedulerName == "" || b.Namespace == "" || b.Lease == "" {
		return nil, nil, errors.New("profiles[0].schedulerName, leaderElection.resourceNamespace and leaderElection.resourceName must be set")
	}
	if err := unstructured.SetNestedField(cfg.Object, kubeconfig, "clientConnection", "kubeconfig"); err != nil {
		return nil, nil, fmt.Errorf("setting clientConnection.kubeconfig: %w", err)
	}
	if err := scaleLeaderElection(cfg, speed); err != nil {
		return nil, nil, err
	}
	out, err = yaml.Marshal(cfg.Object)
	return out, b, err
}

func scaleLeaderElection(cfg *unstructured.Unstructured, speed float64) error {
	durations := map[string]time.Duration{}
	for _, f := range []string{"leaseDuration", "renewDeadline", "retryPeriod"} {
		s, _, _ := unstructured.NestedString(cfg.Object, "leaderElection", f)
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return fmt.Errorf("leaderElection.%s %q: want a positive duration", f, s)
		}
		durations[f] = d
	}
	divisor := math.Max(1, math.Min(speed, float64(durations["renewDeadline"])/float64(minRenewDeadline)))
	for f, d := range durations {
		scaled := time.Duration(float64(d) / divisor).Round(time.Millisecond)
		if err := unstructured.SetNestedField(cfg.Object, scaled.String(), "leaderElection", f); err != nil {
			return fmt.Errorf("setting leaderElection.%s: %w", f, err)
		}
	}
	return nil
}

// startBinpack writes the packing scheduler's configuration into the
// stack's directory, creates the Lease's namespace if it is missing, and
// starts BinpackReplicas kube-scheduler processes on it.
func (s *Stack) startBinpack(ctx context.Context, assets string, o *BinpackOptions) error {
	raw, err := os.ReadFile(o.Config)
	if err != nil {
		return fmt.Errorf("reading the packing scheduler's configuration: %w", err)
	}
	cfg, b, err := BinpackConfig(raw, s.Kubeconfig, o.Speed)
	if err != nil {
		return fmt.Errorf("%s: %w", o.Config, err)
	}
	path := filepath.Join(s.Dir, "binpack-scheduler.yaml")
	if err := os.WriteFile(path, cfg, 0o600); err != nil {
		return fmt.Errorf("writing the packing scheduler's configuration: %w", err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: b.Namespace}}
	if err := s.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", b.Namespace, err)
	}
	ports, err := freePorts(BinpackReplicas)
	if err != nil {
		return err
	}
	kc := s.Kubeconfig
	for i, port := range ports {
		p := NewProcess(s.Dir, fmt.Sprintf("binpack-scheduler-%d", i), filepath.Join(assets, "kube-scheduler"), nil,
			"--config="+path, "--authentication-kubeconfig="+kc, "--authorization-kubeconfig="+kc,
			"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", port))
		if err := p.Start(); err != nil {
			return err
		}
		s.procs = append(s.procs, p)
		b.procs = append(b.procs, p)
	}
	s.Binpack = b
	return nil
}

// Kill kills every packing-scheduler process with SIGKILL: the worst case,
// the Lease is not released and stays held until it expires.
func (b *Binpack) Kill() error {
	var errs []error
	for _, p := range b.procs {
		errs = append(errs, p.Kill())
	}
	return errors.Join(errs...)
}

// Restart starts every killed or exited packing-scheduler process again,
// with the same arguments.
func (b *Binpack) Restart() error {
	for _, p := range b.procs {
		if exited, _ := p.Exited(); p.cmd != nil && !exited {
			continue
		}
		if err := p.Start(); err != nil {
			return err
		}
	}
	return nil
}
