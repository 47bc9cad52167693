// Package scaler_test runs jobfit's scaler controllers against a real
// kube-apiserver and etcd (envtest) with Karpenter's own NodePool and
// NodeClaim CRDs (from the sigs.k8s.io/karpenter module) and the
// EC2NodeClass CRD (from the github.com/aws/karpenter-provider-aws module),
// and applies the project's example EC2NodeClass and NodePools against them.
//
// Reconcilers are called directly with a fake clock, Karpenter style; only
// the leader-election test runs whole managers.
//
// It needs KUBEBUILDER_ASSETS from hack/build-control-plane.sh and is
// skipped without it.
package scaler_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/scaler"
)

var (
	cfg    *rest.Config
	scheme = runtime.NewScheme()
	k8s    client.Client
)

func TestMain(m *testing.M) {
	stack.ExitWithoutAssets()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	out := io.Discard
	if os.Getenv("JOBFIT_TEST_LOG") != "" {
		out = os.Stderr
	}
	ctrl.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(out, nil)))
	if err := scaler.AddToScheme(scheme); err != nil {
		fmt.Println("building scheme:", err)
		return 1
	}
	karpenterDir, err := stack.ModuleDir("sigs.k8s.io/karpenter")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	providerDir, err := stack.ModuleDir("github.com/aws/karpenter-provider-aws")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	env := &envtest.Environment{
		CRDDirectoryPaths: []string{
			filepath.Join(karpenterDir, "pkg", "apis", "crds", "karpenter.sh_nodepools.yaml"),
			filepath.Join(karpenterDir, "pkg", "apis", "crds", "karpenter.sh_nodeclaims.yaml"),
			filepath.Join(providerDir, "pkg", "apis", "crds", "karpenter.k8s.aws_ec2nodeclasses.yaml"),
		},
		ErrorIfCRDPathMissing: true,
	}
	if cfg, err = env.Start(); err != nil {
		fmt.Println("starting envtest:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		fmt.Println("creating client:", err)
		return 1
	}
	return m.Run()
}
