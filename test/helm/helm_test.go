// Package helm checks the Helm chart manifests/helm/jobfit with a real helm
// binary (built from Go modules by hack/build-helm.sh): helm lint --strict,
// golden helm template output, values.schema.json, parity with
// `kubectl kustomize manifests/default` (rendered with kustomize's own Go
// API), and an install into a real kube-apiserver (envtest) where the
// webhook mutates a job pod.
//
// Refresh the goldens with `go test ./test/helm -update` (make
// update-helm-golden) and review the diff.
package helm

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"

	"jobfit.dev/jobfit/hack/stack"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const (
	chartDir     = "../../manifests/helm/jobfit"
	manifestsDir = "../../manifests"
	// releaseName and releaseNamespace are those of the documented install:
	// helm install jobfit manifests/helm/jobfit -n jobfit-system.
	releaseName      = "jobfit"
	releaseNamespace = "jobfit-system"
)

var (
	helmOnce sync.Once
	helmPath string
	helmErr  error
)

// helmBinary returns $HELM (make test and make test-helm set it from
// hack/build-helm.sh), else the helm that hack/build-helm.sh has already
// built. Without either the test is skipped, as the integration tests are
// without KUBEBUILDER_ASSETS: building helm takes minutes, longer than go
// test's default timeout on a busy machine.
func helmBinary(t *testing.T) string {
	t.Helper()
	helmOnce.Do(func() {
		if p := os.Getenv("HELM"); p != "" {
			helmPath = p
			return
		}
		out, err := exec.Command("../../hack/build-helm.sh", "--print-dir").Output()
		if err != nil {
			helmErr = fmt.Errorf("hack/build-helm.sh --print-dir: %w", err)
			return
		}
		helmPath = filepath.Join(strings.TrimSpace(string(out)), "helm")
	})
	require.NoError(t, helmErr)
	if _, err := os.Stat(helmPath); os.IsNotExist(err) && os.Getenv("HELM") == "" {
		t.Skip("helm is not built: run make test-helm, or set HELM=\"$(hack/build-helm.sh)/helm\"")
	}
	return helmPath
}

// runHelm runs helm with args and returns its stdout, and an error
// carrying its stderr.
func runHelm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	stdout, stderr, err := helmCommand(t, args...)
	if err != nil {
		return stdout, fmt.Errorf("helm %s: %w: %s", strings.Join(args, " "), err, stderr)
	}
	return stdout, nil
}

// helmCommand runs helm with args and returns its stdout and stderr.
func helmCommand(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(helmBinary(t), args...)
	// No repositories, plugins or caches of the user's leak in.
	home := t.TempDir()
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// render runs helm template for the documented release with extra args
// (values files, --set, --set-file).
func render(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return runHelm(t, append([]string{"template", releaseName, chartDir, "-n", releaseNamespace}, args...)...)
}

// kustomize renders a kustomization under manifests/ as `kubectl
// kustomize` does.
func kustomize(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := stack.Manifests{}.Kustomize(dir)
	require.NoError(t, err)
	return objs
}

// key names an object as the API server does: kind, namespace and name.
func key(o *unstructured.Unstructured) string {
	return fmt.Sprintf("%s %s/%s", o.GetKind(), o.GetNamespace(), o.GetName())
}

// byKey indexes objects by key and fails on a duplicate.
func byKey(t *testing.T, objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	t.Helper()
	m := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		_, dup := m[key(o)]
		require.False(t, dup, "two objects %s", key(o))
		m[key(o)] = o
	}
	return m
}

// readObject reads the one object in a YAML file.
func readObject(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	objs, err := stack.DecodeObjects(b)
	require.NoError(t, err)
	require.Len(t, objs, 1, path)
	return objs[0]
}

func TestMain(m *testing.M) {
	flag.Parse()
	// JOBFIT_TEST_LOG=1 shows jobfit's and controller-runtime's logs.
	out := io.Discard
	if os.Getenv("JOBFIT_TEST_LOG") != "" {
		out = os.Stderr
	}
	ctrl.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(out, nil)))
	os.Exit(m.Run())
}
