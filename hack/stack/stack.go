// Package stack is the harness that the replay (hack/sim), the load tool
// (hack/loadtest) and the test suites under test/ share.
//
// Start starts a cluster that provisions nodes, as real processes:
// kube-apiserver and etcd (envtest), kube-scheduler, Karpenter with its kwok
// cloud provider, and kwok playing the kubelet of the nodes Karpenter
// creates. Every binary is built from Go modules by
// hack/build-control-plane.sh and hack/build-e2e-tools.sh. The end-to-end
// suite (test/e2e) and the replay use it.
//
// Manifests installs jobfit's webhook into a test kube-apiserver (envtest)
// the way a cluster has it, from the shipped manifests, and NewManager wires
// an in-process replica. The kube-apiserver calls the webhook the way it
// does in a cluster: through the Service jobfit-webhook.jobfit-system.svc,
// verifying the certificate jobfit issued for that name against the
// caBundle jobfit patched in. With --enable-aggregator-routing (see
// Environment) it resolves the Service through its EndpointSlice, which
// Install points at this machine's address: a loopback address is not
// allowed in an EndpointSlice.
package stack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// KarpenterNamespace is Karpenter's SYSTEM_NAMESPACE.
const KarpenterNamespace = "karpenter"

// Options configure Start.
type Options struct {
	// Assets is the directory of kube-apiserver, etcd and kube-scheduler
	// (KUBEBUILDER_ASSETS).
	Assets string
	// Tools is the directory of karpenter-kwok, kwok and kwok's stages
	// (JOBFIT_E2E_TOOLS).
	Tools string
	// Dir holds the kubeconfig and the process logs; empty makes a
	// temporary directory that Stop removes.
	Dir string
	// Scheme of the client; nil is client-go's.
	Scheme *runtime.Scheme
	// KarpenterArgs are added to Karpenter's flags (batch windows, the
	// instance-types file, ...).
	KarpenterArgs []string
	// Binpack, when set, runs the packing scheduler too.
	Binpack *BinpackOptions
}

// Stack is a running cluster.
type Stack struct {
	// Dir holds the kubeconfig and the logs.
	Dir string
	// Kubeconfig is a system:masters kubeconfig file.
	Kubeconfig string
	Config     *rest.Config
	Client     client.Client
	// Karpenter is the Karpenter process, for restarts with other flags.
	Karpenter *Process
	// Binpack is the packing scheduler; nil unless Options.Binpack.
	Binpack *Binpack

	env      *envtest.Environment
	procs    []*Process
	ownedDir bool
}

// Start starts the stack. On error everything already started is stopped.
func Start(ctx context.Context, o Options) (s *Stack, err error) {
	if o.Assets == "" || o.Tools == "" {
		return nil, errors.New("stack needs the control-plane directory (KUBEBUILDER_ASSETS, hack/build-control-plane.sh) and the e2e tools (JOBFIT_E2E_TOOLS, hack/build-e2e-tools.sh)")
	}
	s = &Stack{Dir: o.Dir}
	if s.Dir == "" {
		if s.Dir, err = os.MkdirTemp("", "jobfit-stack-"); err != nil {
			return nil, fmt.Errorf("making the stack's directory: %w", err)
		}
		s.ownedDir = true
	}
	defer func() {
		if err != nil {
			_ = s.Stop()
		}
	}()
	if err := s.startAPIServer(o); err != nil {
		return s, err
	}
	if err := s.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: KarpenterNamespace}}); err != nil {
		return s, fmt.Errorf("creating namespace %s: %w", KarpenterNamespace, err)
	}
	if err := s.startNodeSide(o); err != nil {
		return s, err
	}
	if o.Binpack != nil {
		return s, s.startBinpack(ctx, o.Assets, o.Binpack)
	}
	return s, nil
}

func (s *Stack) startAPIServer(o Options) error {
	karpenterDir, err := ModuleDir("sigs.k8s.io/karpenter")
	if err != nil {
		return err
	}
	s.env = Environment()
	s.env.BinaryAssetsDirectory = o.Assets
	s.env.Scheme = o.Scheme
	s.env.CRDDirectoryPaths = []string{
		filepath.Join(karpenterDir, "kwok", "charts", "crds"),
		filepath.Join(karpenterDir, "kwok", "apis", "crds"),
	}
	s.env.ErrorIfCRDPathMissing = true
	// No kube-controller-manager runs to lift the not-ready taint once kwok
	// reports a node Ready, so the API server must not add it.
	s.env.ControlPlane.GetAPIServer().Configure().Append("disable-admission-plugins", "TaintNodesByCondition")
	if s.Config, err = s.env.Start(); err != nil {
		s.env = nil
		return fmt.Errorf("starting kube-apiserver and etcd: %w", err)
	}
	// The processes' clients must not be throttled below the replay's pace.
	s.Config.QPS, s.Config.Burst = 200, 400
	admin, err := s.env.AddUser(envtest.User{Name: "stack-admin", Groups: []string{"system:masters"}}, s.Config)
	if err != nil {
		return fmt.Errorf("adding the admin user: %w", err)
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	s.Kubeconfig = filepath.Join(s.Dir, "kubeconfig")
	if err := os.WriteFile(s.Kubeconfig, kubeconfig, 0o600); err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	if s.Client, err = client.New(s.Config, client.Options{Scheme: o.Scheme}); err != nil {
		return fmt.Errorf("creating the client: %w", err)
	}
	return nil
}

func (s *Stack) startNodeSide(o Options) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	kc := s.Kubeconfig
	if err := s.Run("kube-scheduler", filepath.Join(o.Assets, "kube-scheduler"), nil,
		"--kubeconfig="+kc, "--authentication-kubeconfig="+kc, "--authorization-kubeconfig="+kc,
		"--leader-elect=false", "--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", ports[0])); err != nil {
		return err
	}
	s.Karpenter = NewProcess(s.Dir, "karpenter", filepath.Join(o.Tools, "karpenter-kwok"),
		[]string{"KUBECONFIG=" + kc, "SYSTEM_NAMESPACE=" + KarpenterNamespace},
		append([]string{"--disable-leader-election", fmt.Sprintf("--metrics-port=%d", ports[1]),
			fmt.Sprintf("--health-probe-port=%d", ports[2])}, o.KarpenterArgs...)...)
	if err := s.Karpenter.Start(); err != nil {
		return err
	}
	s.procs = append(s.procs, s.Karpenter)
	stages, err := filepath.Glob(filepath.Join(o.Tools, "stages", "*.yaml"))
	if err != nil || len(stages) == 0 {
		return fmt.Errorf("no kwok stages in %s/stages (run hack/build-e2e-tools.sh)", o.Tools)
	}
	args := []string{"--kubeconfig=" + kc, "--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake", "--server-address=", "--node-ip=10.0.0.1"}
	for _, st := range stages {
		args = append(args, "--config="+st)
	}
	return s.Run("kwok", filepath.Join(o.Tools, "kwok"), nil, args...)
}

// Run starts a process that Stop stops, logging to <Dir>/<name>.log.
func (s *Stack) Run(name, bin string, env []string, args ...string) error {
	p := NewProcess(s.Dir, name, bin, env, args...)
	if err := p.Start(); err != nil {
		return err
	}
	s.procs = append(s.procs, p)
	return nil
}

// Stop stops every process in reverse order, then the API server and etcd,
// and removes the directory if Start made it.
func (s *Stack) Stop() error {
	var errs []error
	for i := len(s.procs) - 1; i >= 0; i-- {
		errs = append(errs, s.procs[i].Stop())
	}
	s.procs = nil
	if s.env != nil {
		errs = append(errs, s.env.Stop())
		s.env = nil
	}
	if s.ownedDir {
		errs = append(errs, os.RemoveAll(s.Dir))
		s.ownedDir = false
	}
	return errors.Join(errs...)
}

// Logs returns the tail of every process log, for failure messages.
func (s *Stack) Logs() string {
	var b strings.Builder
	for _, p := range s.procs {
		fmt.Fprintf(&b, "==> %s\n%s\n", p.Name, p.Tail(15))
	}
	return b.String()
}

// ModuleDir is the module cache directory of a module in the main module's
// build list.
func ModuleDir(path string) (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path).Output()
	if err != nil {
		return "", fmt.Errorf("finding module %s (go list -m): %w", path, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func freePorts(n int) ([]int, error) {
	ports := make([]int, n)
	for i := range ports {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	return ports, nil
}
