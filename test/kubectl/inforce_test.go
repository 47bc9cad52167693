package kubectl_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/cmd/kubectl-jobfit/app"
	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/policy/source"
	scalerconfig "jobfit.dev/jobfit/scaler/config"
)

// policySet is one set of policy ConfigMaps of one kind in one namespace,
// and what the shared rule (policy/source) makes of it.
type policySet struct {
	name string
	// valid and invalid name the ConfigMaps to create.
	valid, invalid []string
	// want is the ConfigMap in force, "" for none.
	want string
}

// conflict reports whether several of set's ConfigMaps are valid. Such a
// set is created in two steps, the first valid one alone and then the
// rest, so that the last good policy the conflict keeps in force is known:
// the first.
func (set policySet) conflict() bool {
	n := 0
	for _, name := range set.valid {
		if source.MayHoldPolicy(name) {
			n++
		}
	}
	return n > 1
}

// steps are the ConfigMaps set creates: all at once, or for a conflict the
// first valid one and then the rest.
func (set policySet) steps() []policySet {
	if !set.conflict() {
		return []policySet{set}
	}
	return []policySet{{valid: set.valid[:1], want: set.valid[0]}, {valid: set.valid[1:], invalid: set.invalid}}
}

var policySets = []policySet{
	{name: "one valid", valid: []string{"a"}, want: "a"},
	{name: "a stray invalid beside a valid one", valid: []string{"b"}, invalid: []string{"a"}, want: "b"},
	{name: "two valid conflict", valid: []string{"a", "b"}},
	{name: "only invalid", invalid: []string{"a"}},
	{name: "the capacity status's name never holds a policy", valid: []string{v1alpha1.CapacityStatusName, "b"}, want: "b"},
}

// TestInForceAgreement shows that the webhook, the scaler and kubectl
// jobfit put the same ConfigMap in force, or none, for the same sets of
// policy ConfigMaps, and that the webhook and the scaler record the same
// Events on them: PolicyRejected on an invalid one, PolicyConflict on each
// of several valid ones. The webhook's answer is read from what it does (the
// policy hash it records on a job pod), the scaler's from its policy store,
// and kubectl's from `kubectl jobfit status -o yaml`.
func TestInForceAgreement(t *testing.T) {
	ctx := context.Background()
	cl := startCluster(t)
	c := cl.c
	applyFile(ctx, t, c, clusterPolicyFile, &corev1.ConfigMap{})
	shipped := shippedClusterPolicy(t)
	store := startScalerPolicyController(ctx, t, cl.cfg)

	for i, set := range policySets {
		t.Run("namespace policy: "+set.name, func(t *testing.T) {
			ns := fmt.Sprintf("agree-%d", i)
			require.NoError(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
				Labels: map[string]string{v1alpha1.InjectLabel: v1alpha1.InjectEnabled}}}))
			steps := set.steps()
			for _, step := range steps[:len(steps)-1] {
				createSet(ctx, t, c, ns, v1alpha1.PolicyKindNamespace, step, namespaceDoc)
				require.Eventually(t, func() bool { return appliedHash(ctx, t, c, ns) == statusRows(t, cl, ns)[step.want].Hash },
					timeout, poll, "the webhook puts %s in force", step.want)
			}
			createSet(ctx, t, c, ns, v1alpha1.PolicyKindNamespace, steps[len(steps)-1], namespaceDoc)

			var rows map[string]app.PolicyStatus
			var applied, want string
			require.Eventually(t, func() bool {
				rows = statusRows(t, cl, ns)
				applied, want = appliedHash(ctx, t, c, ns), shipped.Hash()
				switch {
				case set.want != "":
					want = rows[set.want].Hash
				case set.conflict():
					want = rows[set.valid[0]].Hash // the last good policy stays
				}
				return applied == want && eventsRecorded(ctx, t, c, ns, set)
			}, timeout, poll, "the webhook puts in force what kubectl jobfit says is, and records its Events")
			for name, row := range rows {
				assert.Equal(t, name == set.want, row.InForce, "kubectl jobfit: %s in force", name)
			}
			assert.NotContains(t, rows, v1alpha1.CapacityStatusName)
			if set.want == "" && !set.conflict() {
				assert.Equal(t, shipped.Hash(), applied, "with no namespace policy ever in force, the cluster policy applies")
			} else {
				assert.NotEqual(t, shipped.Hash(), applied, "a namespace policy applies")
			}
		})
	}

	for _, set := range policySets {
		t.Run("scaler policy: "+set.name, func(t *testing.T) {
			// A known last good policy first, so that "none in force"
			// means "the last good one stays".
			deleteScalerPolicies(ctx, t, c)
			createSet(ctx, t, c, jobfitNS, v1alpha1.PolicyKindScaler, policySet{valid: []string{"last-good"}}, scalerDoc)
			require.Eventually(t, func() bool { return store.Get() != nil && store.Get().Metadata.Name == "last-good" },
				timeout, poll, "the scaler loads its policy")
			deleteScalerPolicies(ctx, t, c)
			steps := set.steps()
			for _, step := range steps[:len(steps)-1] {
				createSet(ctx, t, c, jobfitNS, v1alpha1.PolicyKindScaler, step, scalerDoc)
				require.Eventually(t, func() bool { return store.Get().Metadata.Name == step.want },
					timeout, poll, "the scaler puts %s in force", step.want)
			}
			createSet(ctx, t, c, jobfitNS, v1alpha1.PolicyKindScaler, steps[len(steps)-1], scalerDoc)

			require.Eventually(t, func() bool { return eventsRecorded(ctx, t, c, jobfitNS, set) },
				timeout, poll, "the scaler records its Events")
			want := set.want
			switch {
			case set.conflict():
				want = set.valid[0] // the last good policy stays
			case want == "":
				want = "last-good"
			}
			require.Eventually(t, func() bool { return store.Get().Metadata.Name == want },
				timeout, poll, "the scaler puts %s in force", want)
			consistently(t, func() bool { return store.Get().Metadata.Name == want }, "and keeps it")

			var s app.Status
			require.NoError(t, yaml.Unmarshal([]byte(kubectlJobfit(t, cl, "status", "-o", "yaml")), &s))
			require.NotNil(t, s.Scaler)
			if set.want == "" {
				assert.Contains(t, s.Scaler.Error, "the scaler keeps its last good", "kubectl jobfit: none in force")
				return
			}
			assert.Empty(t, s.Scaler.Error)
			assert.Equal(t, jobfitNS+"/"+set.want, s.Scaler.ConfigMap, "kubectl jobfit shows the one the scaler uses")
			assert.Equal(t, set.want, s.Scaler.Name)
		})
	}
}

// createSet creates set's ConfigMaps in namespace, labelled for kind, each
// valid one named in its document after its ConfigMap.
func createSet(ctx context.Context, t *testing.T, c client.Client, namespace, kind string, set policySet, doc func(name string, valid bool) string) {
	t.Helper()
	for valid, names := range map[bool][]string{true: set.valid, false: set.invalid} {
		for _, name := range names {
			require.NoError(t, c.Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{v1alpha1.PolicyLabel: kind}},
				Data:       map[string]string{v1alpha1.PolicyDataKey: doc(name, valid)},
			}))
		}
	}
}

// namespaceDoc is a namespace policy that the shipped cluster policy lets
// through (it may override resources), with a request of its own so that
// each has its own hash; an invalid one names a section it may not.
func namespaceDoc(name string, valid bool) string {
	if !valid {
		return "apiVersion: jobfit.dev/v1alpha1\nkind: Policy\ncapacity: {default: on-demand}\n"
	}
	return fmt.Sprintf("apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nmetadata: {name: %s}\n"+
		"resources:\n  defaults:\n    build:\n      requests: {cpu: 150m, memory: 1Gi}\n", name)
}

func scalerDoc(name string, valid bool) string {
	if !valid {
		return "apiVersion: jobfit.dev/v1alpha1\nkind: ScalerPolicy\nnodePools: []\nfallback: {pendingAfter: soon}\n"
	}
	return fmt.Sprintf("apiVersion: jobfit.dev/v1alpha1\nkind: ScalerPolicy\nmetadata: {name: %s}\nnodePools:\n"+
		"- {name: ci-spot, role: spot}\n- {name: ci-on-demand, role: on-demand, weight: 10}\n", name)
}

func deleteScalerPolicies(ctx context.Context, t *testing.T, c client.Client) {
	t.Helper()
	require.NoError(t, c.DeleteAllOf(ctx, &corev1.ConfigMap{}, client.InNamespace(jobfitNS),
		client.MatchingLabels{v1alpha1.PolicyLabel: v1alpha1.PolicyKindScaler}))
}

// statusRows are kubectl jobfit status's rows for namespace, by ConfigMap
// name.
func statusRows(t *testing.T, cl *cluster, namespace string) map[string]app.PolicyStatus {
	t.Helper()
	var s app.Status
	require.NoError(t, yaml.Unmarshal([]byte(kubectlJobfit(t, cl, "status", "-o", "yaml")), &s))
	rows := map[string]app.PolicyStatus{}
	for _, row := range s.Policies {
		if ns, name, ok := strings.Cut(row.ConfigMap, "/"); ok && ns == namespace {
			rows[name] = row
		}
	}
	return rows
}

// appliedHash is the policy hash the webhook records on a job pod created
// (dry run) in namespace now.
func appliedHash(ctx context.Context, t *testing.T, c client.Client, namespace string) string {
	t.Helper()
	pod := examplePod(t, namespace, "runner-zx8kqw2nv-project-4711-concurrent-0-agree01", nil)
	require.NoError(t, c.Create(ctx, pod, client.DryRunAll))
	rec, ok := policy.ReadRecord(pod.Annotations)
	if !ok {
		return ""
	}
	return rec.Hash
}

// eventsRecorded reports whether each invalid ConfigMap of set has a
// PolicyRejected Event and, when several are valid, each valid one a
// PolicyConflict Event.
func eventsRecorded(ctx context.Context, t *testing.T, c client.Client, namespace string, set policySet) bool {
	t.Helper()
	want := map[string]string{}
	for _, name := range set.invalid {
		want[name] = v1alpha1.ReasonPolicyRejected
	}
	if set.conflict() {
		for _, name := range set.valid {
			want[name] = v1alpha1.ReasonPolicyConflict
		}
	}
	for name, reason := range want {
		list := &corev1.EventList{}
		require.NoError(t, c.List(ctx, list, client.InNamespace(namespace)))
		found := false
		for _, e := range list.Items {
			found = found || (e.InvolvedObject.Kind == "ConfigMap" && e.InvolvedObject.Name == name && e.Reason == reason)
		}
		if !found {
			return false
		}
	}
	return true
}

// startScalerPolicyController runs the scaler's policy controller as the
// scaler does (a cache of jobfit's namespace's ConfigMaps) and returns its
// store.
func startScalerPolicyController(ctx context.Context, t *testing.T, cfg *rest.Config) *scalerconfig.Store {
	t.Helper()
	s := runtime.NewScheme()
	require.NoError(t, corev1.AddToScheme(s))
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 s,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr.To(true)},
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&corev1.ConfigMap{}: {Namespaces: map[string]cache.Config{jobfitNS: {}}},
		}},
	})
	require.NoError(t, err)
	store := &scalerconfig.Store{}
	ctl := scalerconfig.NewController(mgr.GetClient(), store, mgr.GetEventRecorder("jobfit-scaler"), types.NamespacedName{Namespace: jobfitNS})
	require.NoError(t, ctl.Register(ctx, mgr))
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return store
}

// consistently checks that cond holds over a second of polls.
func consistently(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	assert.Never(t, func() bool { return !cond() }, time.Second, poll, msg)
}
