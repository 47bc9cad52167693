// Package rbac checks what jobfit's ServiceAccounts may do, against a real
// kube-apiserver with the shipped manifests (kustomize build
// manifests/default, applied as is): every write each ServiceAccount is
// allowed must be on the documented list (docs/install.md, "Permissions and
// why"), and the ValidatingAdmissionPolicies must stop what RBAC cannot.
//
// It needs KUBEBUILDER_ASSETS from hack/build-control-plane.sh and is
// skipped without it.
package rbac

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"jobfit.dev/jobfit/hack/stack"
)

const (
	jobfitNS   = "jobfit-system"
	headroomNS = "jobfit-headroom"
	runnerNS   = "gitlab-runner"
)

var (
	cfg *rest.Config
	k8s client.Client
)

func TestMain(m *testing.M) {
	stack.ExitWithoutAssets()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	env := &envtest.Environment{}
	// envtest disables the ServiceAccount admission plugin; a cluster has
	// it, and it refuses a pod whose ServiceAccount is not in its namespace.
	env.ControlPlane.GetAPIServer().Configure().Disable("disable-admission-plugins")
	var err error
	if cfg, err = env.Start(); err != nil {
		fmt.Println("starting envtest:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	if k8s, err = client.New(cfg, client.Options{}); err != nil {
		fmt.Println("creating client:", err)
		return 1
	}
	if documented, err = documentedWrites("../../docs/install.md"); err != nil {
		fmt.Println(err)
		return 1
	}
	if err := installShipped(context.Background()); err != nil {
		fmt.Println(err)
		return 1
	}
	// Not fatal: without the policies, TestEscalationChainIsBroken says
	// which step got through.
	if err := waitForAdmissionPolicies(context.Background()); err != nil {
		fmt.Println(err)
	}
	return m.Run()
}

// installShipped applies what `kubectl apply -k manifests/default` and
// `kubectl apply -k manifests/binpack-scheduler` apply,
// namespaces first, plus a runner namespace.
func installShipped(ctx context.Context) error {
	objs, err := stack.Manifests{}.Kustomize("default")
	if err != nil {
		return err
	}
	// The packing scheduler, installed next to the overlay as
	// docs/binpack-scheduler.md says.
	binpack, err := stack.Manifests{}.Kustomize("binpack-scheduler")
	if err != nil {
		return err
	}
	objs = append(objs, binpack...)
	runner := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": runnerNS}}}
	objs = append(objs, runner)
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].GetKind() == "Namespace" && objs[j].GetKind() != "Namespace" })
	for _, u := range objs {
		if err := k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("kubectl"), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s %s: %w", u.GetKind(), u.GetName(), err)
		}
	}
	return nil
}

// waitForAdmissionPolicies waits until the API server enforces the shipped
// ValidatingAdmissionPolicies: it loads new policies in the background.
func waitForAdmissionPolicies(ctx context.Context) error {
	c, err := client.New(stack.AsServiceAccount(cfg, jobfitNS, "jobfit-webhook"), client.Options{})
	if err != nil {
		return err
	}
	probe := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: jobfitNS, Name: "policy-probe"}}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		err := c.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		if apierrors.IsInvalid(err) {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("the ValidatingAdmissionPolicies were not enforced within 30s")
}

// write is one allowed write: verbs on a resource in a namespace ("" for
// cluster-wide rules), limited to names when names is set.
type write struct {
	namespace, group, resource string
	names                      []string
	verbs                      []string
}

// writeVerbs are the verbs that change something or grant power.
var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "*"}

// documented are the writes docs/install.md lists for each ServiceAccount
// ("Permissions and why"), read from its table by documentedWrites. A rule
// that is cluster-wide shows up in every namespace.
var documented map[string][]write

// allowed reports whether a write of verb on group/resource in namespace,
// limited to names, is documented for sa.
func allowed(sa, namespace, group, resource, verb string, names []string) bool {
	for _, w := range documented[sa] {
		if (w.namespace == "*" || w.namespace == namespace) && w.group == group && w.resource == resource &&
			slices.Contains(w.verbs, verb) && slices.Equal(sortedCopy(w.names), sortedCopy(names)) {
			return true
		}
	}
	return false
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// rulesAs returns the write rules of sa in ns, as "verb resource.group names".
func rulesAs(ctx context.Context, t *testing.T, sa, ns string) []string {
	t.Helper()
	var out []string
	for _, r := range resourceRules(ctx, t, sa, ns) {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					if slices.Contains(writeVerbs, v) && !allowed(sa, ns, g, res, v, r.ResourceNames) {
						out = append(out, fmt.Sprintf("%s %s.%s names=%v", v, res, g, r.ResourceNames))
					}
				}
			}
		}
	}
	return out
}

// resourceRules asks the API server, as sa, for its rules in ns.
func resourceRules(ctx context.Context, t *testing.T, sa, ns string) []authorizationv1.ResourceRule {
	t.Helper()
	cs, err := kubernetes.NewForConfig(stack.AsServiceAccount(cfg, jobfitNS, sa))
	require.NoError(t, err)
	review, err := cs.AuthorizationV1().SelfSubjectRulesReviews().Create(ctx,
		&authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	require.False(t, review.Status.Incomplete, review.Status.EvaluationError)
	return review.Status.ResourceRules
}

// TestServiceAccountWritesAreDocumented asks the API server, as each of
// jobfit's ServiceAccounts, for its rules in jobfit's namespace, the
// headroom namespace, a runner namespace and kube-system
// (SelfSubjectRulesReview), and fails on any write that is not documented.
// What every authenticated user may do (create SelfSubjectAccessReviews and
// the like) is taken from a ServiceAccount with no bindings and left out.
func TestServiceAccountWritesAreDocumented(t *testing.T) {
	ctx := context.Background()
	for sa := range documented {
		for _, ns := range []string{jobfitNS, headroomNS, runnerNS, "kube-system"} {
			t.Run(sa+" in "+ns, func(t *testing.T) {
				baseline := rulesAs(ctx, t, "nobody", ns)
				var extra []string
				for _, r := range rulesAs(ctx, t, sa, ns) {
					if !slices.Contains(baseline, r) {
						extra = append(extra, r)
					}
				}
				require.Empty(t, extra, "writes of %s in %s that docs/install.md does not list:\n%s", sa, ns, strings.Join(extra, "\n"))
				assert.Empty(t, notGranted(ctx, t, sa, ns), "rows of docs/install.md that %s is not granted in %s", sa, ns)
			})
		}
	}
}
