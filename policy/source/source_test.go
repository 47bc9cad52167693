package source_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/policy/source"
)

type candidate = source.Candidate[*string]

func TestDecide(t *testing.T) {
	valid := func(name string) candidate {
		return candidate{ConfigMap: configMap(name), Policy: &name}
	}
	invalid := func(name string) candidate {
		return candidate{ConfigMap: configMap(name), Errs: field.ErrorList{field.Invalid(field.NewPath("capacity", "default"), "x", "bad")}}
	}
	cases := []struct {
		name    string
		cands   []candidate
		outcome source.Outcome
		want    string // name of the one in force
		wantWhy string
	}{
		{"none", nil, source.NoCandidate, "", ""},
		{"one valid", []candidate{valid("a")}, source.InForce, "a", ""},
		{"an invalid stray is ignored", []candidate{invalid("a"), valid("b")}, source.InForce, "b", ""},
		{"only invalid", []candidate{invalid("a")}, source.AllInvalid, "", "no valid policy, the webhook keeps its last good one: a: capacity.default: Invalid value: \"x\": bad"},
		{"conflict", []candidate{valid("a"), valid("b")}, source.Conflict, "", "several valid policies (ns/a, ns/b) conflict: the webhook keeps its last good policy"},
		{"conflict beside an invalid one", []candidate{valid("a"), invalid("b"), valid("c")}, source.Conflict, "", "several valid policies (ns/a, ns/c) conflict: the webhook keeps its last good policy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := source.Decide(tc.cands)
			assert.Equal(t, tc.outcome, d.Outcome)
			assert.Equal(t, tc.wantWhy, d.Why("the webhook"))
			if tc.want == "" {
				assert.Nil(t, d.InForce)
				return
			}
			require.NotNil(t, d.InForce)
			assert.Equal(t, tc.want, d.InForce.ConfigMap.Name)
			assert.Equal(t, tc.want, *d.InForce.Policy)
		})
	}
}

func TestCandidates(t *testing.T) {
	items := []corev1.ConfigMap{
		*configMap("zz"), *configMap(v1alpha1.CapacityStatusName), *configMap("aa"), *configMap(v1alpha1.ImagePlatformsName),
	}
	got := source.Candidates(items)
	names := make([]string, len(got))
	for i, cm := range got {
		names[i] = cm.Name
	}
	assert.Equal(t, []string{"aa", "zz"}, names, "the scaler's own ConfigMaps never hold a policy, whatever their labels; the rest in name order")
	assert.Equal(t, "zz", items[0].Name, "the caller's slice is not reordered")

	loaded := source.Load(got, func(cm *corev1.ConfigMap) (*string, field.ErrorList) {
		if cm.Name == "aa" {
			return nil, field.ErrorList{field.Required(field.NewPath("kind"), "")}
		}
		return &cm.Name, nil
	})
	require.Len(t, loaded, 2)
	assert.False(t, loaded[0].Valid())
	assert.True(t, loaded[1].Valid())
}

func TestConflictNote(t *testing.T) {
	a, b := candidate{ConfigMap: configMap("a")}, candidate{ConfigMap: configMap("b")}
	assert.Equal(t, "2 ConfigMaps in ns are labelled jobfit.dev/policy=scaler and valid: a, b. jobfit uses exactly one; "+
		"the last good policy stays in force until all but one are deleted or relabelled",
		source.ConflictNote(v1alpha1.PolicyKindScaler, []*candidate{&a, &b}))
}

func TestDocumentNamesThePolicyAfterItsConfigMap(t *testing.T) {
	cm := configMap("team-a")
	cm.Labels = map[string]string{v1alpha1.PolicyLabel: v1alpha1.PolicyKindNamespace}
	cm.Data = map[string]string{v1alpha1.PolicyDataKey: "kind: Policy\n"}
	assert.JSONEq(t, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"team-a"},"data":{"policy.yaml":"kind: Policy\n"}}`,
		string(source.Document(cm)), "only the name and data: labels and namespace are not part of the document")
}

func configMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}
}
