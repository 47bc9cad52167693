// Command loadtest measures jobfit's webhook, for docs/performance.md.
//
//	go run ./hack/loadtest -mode admission -rate 500 -duration 20s [-handler allow] [-server-cpuprofile F]
//	KUBEBUILDER_ASSETS=$(hack/build-control-plane.sh) go run ./hack/loadtest -mode apiserver -pods 300 [-handler allow|annotate] [-apiserver-cpuprofile F]
//	KUBEBUILDER_ASSETS=$(hack/build-control-plane.sh) go run ./hack/loadtest -mode memory [-large 40] [-objects 1000]
//
// -policy and -image-platforms replace the example EKS + Karpenter policy,
// for example with the graviton-first one and hack/loadtest/testdata's
// platforms of the job pod's images, to measure arch.fromImages.
//
// admission: serves the real handler with controller-runtime's webhook
// server over TLS on loopback, in a child process (this binary with -mode
// serve, GOGC as in the Deployment), and sends AdmissionReviews of a GitLab
// Runner 18.11 job pod at a fixed rate (open loop: a slow response does not
// delay the next request). It reports latency percentiles, throughput and
// the server's CPU per request. -handler allow answers "allowed" at once:
// the floor of any webhook on the machine.
//
// apiserver: starts kube-apiserver and etcd (envtest) with the project's
// webhook configuration and an in-process replica, then creates the same
// job pod alternately in a namespace that is opted in and in one that is
// not, and reports the pod-create latency of each, their ratio, and the API
// server's own histograms (the whole create, the mutating admission step,
// its call to the webhook). -handler allow or annotate replaces jobfit's
// handler with one that does nothing or adds one annotation: what any
// webhook, and any mutation, costs.
//
// memory: builds and runs the real `jobfit webhook` binary against
// kube-apiserver and etcd (envtest) with the shipped GOGC and GOMEMLIMIT and
// objects for each of its caches, sends -large concurrent AdmissionReviews
// just under the body limit with 20 ordinary ones beside them, and reports
// the binary's peak resident set and what each review got.
//
// Run it from the repository root: it reads the example policy, the job pod
// under webhook/testdata and the manifests.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
)

func main() {
	mode := flag.String("mode", "admission", "admission, apiserver or memory")
	rate := flag.Int("rate", 500, "admission: requests per second")
	duration := flag.Duration("duration", 30*time.Second, "admission: how long to send")
	pods := flag.Int("pods", 300, "apiserver: pods to create per namespace")
	handler := flag.String("handler", "jobfit", "jobfit (the real handler), allow (answers allowed at once: the floor) or annotate (adds one annotation: any mutation)")
	separate := flag.Bool("separate", true, "admission: run the server in a child process")
	port := flag.Int("port", 0, "serve: port (internal)")
	certDir := flag.String("cert-dir", "", "serve: certificate directory (internal)")
	cpuProfile := flag.String("server-cpuprofile", "", "admission: write the server's CPU profile to this file")
	apiserverProfile := flag.String("apiserver-cpuprofile", "", "apiserver: write a 10 s CPU profile of the kube-apiserver, taken during the measured creates, to this file")
	gogc := flag.String("server-gogc", "400", "admission: GOGC of the server process, as manifests/base/webhook/deployment.yaml sets it")
	flag.StringVar(&policyFile, "policy", policyFile, "admission, apiserver: the cluster policy (a ConfigMap carrying it)")
	flag.StringVar(&imagesFile, "image-platforms", "", "admission, apiserver: an image-platforms JSON file (image to [\"os/arch\", ...]) for policies with arch.fromImages")
	flag.StringVar(&runnerTags, "runner-tags", "", `admission, apiserver: replace the job pod's CI_RUNNER_TAGS, e.g. '["kubernetes"]' for a job that names no arch`)
	large := flag.Int("large", 40, "memory: concurrent reviews just under the body limit")
	objects := flag.Int("objects", 1000, "memory: claims, PriorityClasses and ConfigMaps to create for the webhook's caches")
	flag.Parse()
	ctrl.SetLogger(logr.Discard())
	fmt.Printf("jobfit loadtest: mode=%s GOMAXPROCS=%d NumCPU=%d %s\n", *mode, runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	var err error
	switch *mode {
	case "admission":
		err = runAdmission(*rate, *duration, *handler, *separate, *cpuProfile, *gogc)
	case "serve":
		err = serveProcess(*port, *certDir, *handler, *cpuProfile)
	case "apiserver":
		err = runAPIServer(*pods, *handler, *apiserverProfile)
	case "memory":
		err = runMemory(*large, *objects)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// summary holds latencies and prints their percentiles.
type summary []time.Duration

func (s summary) percentile(p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	sorted := slices.Clone(s)
	slices.Sort(sorted)
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func (s summary) String() string {
	return fmt.Sprintf("n=%d p50=%s p90=%s p99=%s max=%s", len(s),
		round(s.percentile(0.50)), round(s.percentile(0.90)), round(s.percentile(0.99)), round(s.percentile(1)))
}

func round(d time.Duration) time.Duration { return d.Round(time.Microsecond) }
