package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/policy/source"
)

// shippedDeployment is the webhook's Deployment in the manifests.
const shippedDeployment = "../manifests/base/webhook/deployment.yaml"

// shippedMemorySettings returns the webhook container's memory limit and
// its GOGC and GOMEMLIMIT, as the manifests ship them.
func shippedMemorySettings(t *testing.T) (limit int64, env []string) {
	t.Helper()
	b, err := os.ReadFile(shippedDeployment)
	require.NoError(t, err)
	d := &appsv1.Deployment{}
	require.NoError(t, yaml.Unmarshal(b, d))
	c := d.Spec.Template.Spec.Containers[0]
	for _, e := range c.Env {
		if e.Name == "GOGC" || e.Name == "GOMEMLIMIT" {
			require.NotEmpty(t, e.Value, "%s must be a literal value", e.Name)
			env = append(env, e.Name+"="+e.Value)
		}
	}
	require.Len(t, env, 2, "the Deployment sets GOGC and GOMEMLIMIT")
	return c.Resources.Limits.Memory().Value(), env
}

// memoryScenarioEnv selects the scenario a child process runs.
const memoryScenarioEnv = "JOBFIT_MEMORY_SCENARIO"

// memoryResult is what a child process reports.
type memoryResult struct {
	PeakRSS     int64 // VmHWM: the process's peak resident set
	PeakGoTotal int64 // runtime/metrics /memory/classes/total:bytes, sampled
	PeakLive    int64 // runtime/metrics /gc/heap/live:bytes, sampled
	Statuses    map[int]int
}

// TestMemoryUnderAbuse replays the audit's memory attacks, each in a fresh
// child process with the shipped container's GOGC and GOMEMLIMIT, and checks its peak resident set (VmHWM) stays under
// the container's 256Mi limit:
//   - a namespace policy of about 1 MB full of invalid label names;
//   - ten concurrent 7 MB AdmissionReviews;
//   - forty concurrent AdmissionReviews just under the body limit (3 MiB).
//
// Peaks are logged; docs/performance.md records them.
func TestMemoryUnderAbuse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	memoryLimit, env := shippedMemorySettings(t)
	t.Logf("container limit %.0f MiB, %v", mib(memoryLimit), env)
	for _, scenario := range []string{"policy-1mb", "reviews-10x7mb", "reviews-40x3mb"} {
		t.Run(scenario, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryScenario$", "-test.count=1")
			cmd.Env = append(append(os.Environ(), memoryScenarioEnv+"="+scenario), env...)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			var res memoryResult
			line := lastLine(out, "RESULT ")
			require.NotEmpty(t, line, "%s", out)
			require.NoError(t, json.Unmarshal([]byte(line), &res))
			t.Logf("%s: peak RSS %.1f MiB, peak Go memory %.1f MiB, peak live heap %.1f MiB, HTTP statuses %v",
				scenario, mib(res.PeakRSS), mib(res.PeakGoTotal), mib(res.PeakLive), res.Statuses)
			assert.Less(t, res.PeakRSS, memoryLimit, "peak RSS under the container's limit")
			// The live heap is logged, not asserted: objects allocated while
			// the collector marks count as live, so under this churn it
			// overstates what the collector cannot free.
		})
	}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func lastLine(out []byte, prefix string) string {
	var found string
	for _, l := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(l, prefix); ok {
			found = s
		}
	}
	return found
}

// TestMemoryScenario is the child process of TestMemoryUnderAbuse.
func TestMemoryScenario(t *testing.T) {
	scenario := os.Getenv(memoryScenarioEnv)
	if scenario == "" {
		t.Skip("run by TestMemoryUnderAbuse")
	}
	stop := make(chan struct{})
	peak := make(chan [2]int64)
	go samplePeak(stop, peak)
	statuses := map[int]int{}
	switch scenario {
	case "policy-1mb":
		runHugePolicy(t)
	case "reviews-10x7mb":
		statuses = runConcurrentReviews(t, 10, 7<<20)
	case "reviews-40x3mb":
		statuses = runConcurrentReviews(t, 40, maxReviewSize-(64<<10))
	default:
		t.Fatalf("unknown scenario %q", scenario)
	}
	runtime.GC() // so that the live heap of the last requests is counted
	time.Sleep(10 * time.Millisecond)
	close(stop)
	p := <-peak
	res := memoryResult{PeakGoTotal: p[0], PeakLive: p[1], PeakRSS: vmHWM(t), Statuses: statuses}
	b, err := json.Marshal(res)
	require.NoError(t, err)
	fmt.Println("RESULT " + string(b))
}

// runHugePolicy loads a namespace policy of about 1 MB whose every entry is
// an invalid label name, as the policy watcher does, and formats the
// rejection as the watcher reports it.
func runHugePolicy(t *testing.T) {
	var doc strings.Builder
	doc.WriteString("apiVersion: jobfit.dev/v1alpha1\nkind: Policy\nlabels:\n")
	for i := 0; doc.Len() < 1<<20; i++ {
		fmt.Fprintf(&doc, "  \"not a valid label name %d!\": \"%s\"\n", i, strings.Repeat("v", 32))
	}
	store := NewStore()
	store.SetCluster(loadPolicy(t))
	cm := &corev1.ConfigMap{Data: map[string]string{"policy.yaml": doc.String()}}
	cm.Name = "jobfit-policy"
	_, _, errs := store.SetNamespace(types.NamespacedName{Namespace: "gitlab-runner", Name: cm.Name}, source.Document(cm))
	require.NotEmpty(t, errs)
	note := rejectionNote("policy not loaded, the last good policy stays in force: ", errs)
	require.NotEmpty(t, note)
}

// runConcurrentReviews sends n concurrent AdmissionReviews of about size
// bytes (a job pod carrying a large annotation) to the review handler over
// HTTP, and counts the status codes.
func runConcurrentReviews(t *testing.T, n, size int) map[int]int {
	store := NewStore()
	store.SetCluster(loadPolicy(t))
	srv := httptest.NewServer(NewReviewHandler(&admission.Webhook{Handler: NewHandler(store)}))
	defer srv.Close()
	pod := readPod(t, "job-pod-v18.11.yaml")
	pod.Annotations["padding.example.com/blob"] = strings.Repeat("x", size)
	body := reviewBody(t, createRequest(t, pod, "gitlab-runner"))
	pod = nil
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		wg       sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			code := 0
			resp, err := http.Post(srv.URL+Path, "application/json", bytes.NewReader(body))
			if err == nil {
				code = resp.StatusCode
				resp.Body.Close()
			}
			mu.Lock()
			statuses[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return statuses
}

// samplePeak samples the Go runtime's total mapped memory and live heap
// until stop.
func samplePeak(stop <-chan struct{}, peak chan<- [2]int64) {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/gc/heap/live:bytes"}}
	var high [2]int64
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for {
		metrics.Read(s)
		for i := range s {
			high[i] = max(high[i], int64(s[i].Value.Uint64()))
		}
		select {
		case <-stop:
			peak <- high
			return
		case <-t.C:
		}
	}
}

// vmHWM is the process's peak resident set size from /proc/self/status.
func vmHWM(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}
