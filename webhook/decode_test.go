package webhook

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/randfill"
)

// corpusPods are every pod the repository holds as test data: GitLab
// Runner job pods from 16.1 to 19.x, their mutated golden forms, runner
// pause and manager pods, and jobfit's own headroom pod, as the JSON the
// API server sends.
func corpusPods(t testing.TB) map[string][]byte {
	t.Helper()
	var files []string
	for _, g := range []string{"../policy/testdata/*.yaml", "../policy/testdata/nonjob/*.yaml", "testdata/*.yaml"} {
		m, err := filepath.Glob(g)
		require.NoError(t, err)
		files = append(files, m...)
	}
	out := map[string][]byte{}
	for _, f := range files {
		if filepath.Base(f) == "default-policy.yaml" {
			continue
		}
		raw, err := json.Marshal(firstPod(t, f))
		require.NoError(t, err)
		out[f] = raw
	}
	require.GreaterOrEqual(t, len(out), 40, "pod corpus shrank")
	return out
}

// TestDecodePodMatchesEncodingJSON: decodePod gives exactly what
// encoding/json gives for every pod of the corpus.
func TestDecodePodMatchesEncodingJSON(t *testing.T) {
	for name, raw := range corpusPods(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			requireSameDecoding(t, raw)
		})
	}
}

// FuzzDecodePod is a differential fuzz target: whatever JSON encoding/json
// decodes into a Pod, decodePod decodes too, into the same Pod. The input is
// limited to valid UTF-8, as the API server's JSON always is.
func FuzzDecodePod(f *testing.F) {
	for _, raw := range corpusPods(f) {
		f.Add(raw)
	}
	f.Add([]byte(`{"spec":{"containers":[{"name":"build","resources":{"requests":{"cpu":"1.5","memory":"1e3"}}}]}}`))
	f.Add([]byte(`{"metadata":{"creationTimestamp":null,"labels":{"a":"b"}},"spec":{"containers":[{"ports":[{"containerPort":80,"hostPort":0}],"livenessProbe":{"httpGet":{"port":"http"}}}]}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !utf8.Valid(raw) {
			return
		}
		if err := json.Unmarshal(raw, &corev1.Pod{}); err != nil {
			return
		}
		requireSameDecoding(t, raw)
	})
}

func requireSameDecoding(t *testing.T, raw []byte) {
	t.Helper()
	want := &corev1.Pod{}
	require.NoError(t, json.Unmarshal(raw, want))
	got, err := decodePod(raw)
	require.NoError(t, err, "encoding/json decodes this pod")
	// Quantities cache their string form when marshalled; compare the
	// canonical JSON of both as well as the structs.
	wantJSON, err := json.Marshal(want)
	require.NoError(t, err)
	gotJSON, err := json.Marshal(got)
	require.NoError(t, err)
	require.Equal(t, string(wantJSON), string(gotJSON))
	require.Equal(t, want, got)
}

func TestDecodePodRejectsInvalidJSON(t *testing.T) {
	for _, raw := range []string{``, `{`, `{"spec":{"containers":"build"}}`, `[]`, `{"metadata":{"labels":{"a":1}}}`} {
		_, err := decodePod([]byte(raw))
		require.Error(t, err, "%q", raw)
		require.Error(t, json.Unmarshal([]byte(raw), &corev1.Pod{}), "encoding/json must reject %q too", raw)
	}
}

// TestDecodePodRandomPods round-trips randomly filled pods, every field set
// at random (sigs.k8s.io/randfill, as Kubernetes' own serialization tests
// do), through encoding/json and checks that decodePod reads back what
// encoding/json reads back.
func TestDecodePodRandomPods(t *testing.T) {
	f := randfill.NewWithSeed(20261201).NilChance(0.2).NumElements(0, 3).MaxDepth(12).Funcs(
		func(q *resource.Quantity, c randfill.Continue) {
			*q = *resource.NewMilliQuantity(c.Int63n(1<<40), resource.DecimalSI)
		},
		func(tm *metav1.Time, c randfill.Continue) {
			*tm = metav1.Unix(c.Int63n(1<<32), 0)
		},
		func(v *intstr.IntOrString, c randfill.Continue) {
			if c.Bool() {
				*v = intstr.FromInt32(c.Int31())
			} else {
				*v = intstr.FromString(c.String(12))
			}
		},
		func(raw *runtime.RawExtension, _ randfill.Continue) { *raw = runtime.RawExtension{} },
		func(fv *metav1.FieldsV1, _ randfill.Continue) {
			fv.Raw = []byte(`{"f:metadata":{"f:labels":{".":{}}}}`)
		},
	)
	for i := range 300 {
		pod := &corev1.Pod{}
		f.Fill(pod)
		raw, err := json.Marshal(pod)
		require.NoError(t, err)
		t.Run(strconv.Itoa(i), func(t *testing.T) { requireSameDecoding(t, raw) })
	}
}
