package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

const (
	nsWith    = "runners-jobfit"
	nsWithout = "runners-plain"
	warmup    = 20
)

// runAPIServer compares pod-create latency with and without the webhook in
// one kube-apiserver, alternating so that both see the same conditions.
// handler is jobfit (the real one), allow (answers "allowed" at once: what
// any webhook costs) or annotate (adds one annotation: what any mutation
// costs).
func runAPIServer(pods int, handler, apiserverProfile string) error {
	substitute, err := floorHandler(handler)
	if err != nil {
		return err
	}
	env, cfg, c, err := startEnvtest("apiserver")
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := startReplica(ctx, c, cfg, substitute); err != nil {
		return err
	}
	pod, err := jobPod()
	if err != nil {
		return err
	}
	var before []histogramSums
	atWarm := func() error {
		if before, err = scrape(ctx, cfg, apiserverBreakdown); err != nil {
			return err
		}
		if apiserverProfile != "" {
			go func() {
				if err := profileAPIServer(ctx, cfg, 10*time.Second, apiserverProfile); err != nil {
					fmt.Fprintln(os.Stderr, "loadtest:", err)
				}
			}()
		}
		return nil
	}
	with, without, mutated, err := measureCreates(ctx, c, pod, pods, atWarm)
	if err != nil {
		return err
	}
	fmt.Printf("apiserver: handler %s\n", handler)
	fmt.Printf("apiserver: with webhook    %s (mutated by jobfit %d/%d)\n", with, mutated, pods)
	fmt.Printf("apiserver: without webhook %s\n", without)
	fmt.Printf("apiserver: ratio p50=%.3f p99=%.3f\n",
		float64(with.percentile(0.5))/float64(without.percentile(0.5)),
		float64(with.percentile(0.99))/float64(without.percentile(0.99)))
	after, err := scrape(ctx, cfg, apiserverBreakdown)
	if err != nil {
		return err
	}
	fmt.Println("apiserver: where the time goes (means over the measured creates):")
	printBreakdown(apiserverBreakdown, before, after)
	return nil
}

// measureCreates creates pod warmup+pods times in each namespace,
// alternating, and returns the latencies after the warm-up and how many of
// the pods in the opted-in namespace jobfit mutated. atWarm runs once, when
// the warm-up is over.
func measureCreates(ctx context.Context, c client.Client, pod *corev1.Pod, pods int, atWarm func() error) (with, without summary, mutated int, err error) {
	create := func(ns string, i int) (time.Duration, bool, error) {
		p := pod.DeepCopy()
		p.Namespace, p.Name = ns, fmt.Sprintf("runner-zx8kqw2nv-project-4711-concurrent-0-%08d", i)
		t0 := time.Now()
		err := c.Create(ctx, p)
		_, applied := p.Annotations[v1alpha1.AppliedAnnotation]
		return time.Since(t0), applied, err
	}
	for i := range warmup + pods {
		if i == warmup {
			if err := atWarm(); err != nil {
				return nil, nil, 0, err
			}
		}
		dw, applied, err := create(nsWith, i)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("creating pod in %s: %w", nsWith, err)
		}
		dwo, _, err := create(nsWithout, i)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("creating pod in %s: %w", nsWithout, err)
		}
		if i >= warmup {
			with, without = append(with, dw), append(without, dwo)
			if applied {
				mutated++
			}
		}
	}
	return with, without, mutated, nil
}

// floorHandler returns the handler that replaces jobfit's, or nil for jobfit.
func floorHandler(name string) (admission.Handler, error) {
	switch name {
	case "jobfit":
		return nil, nil
	case "allow":
		return admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
			return admission.Allowed("")
		}), nil
	case "annotate":
		return admission.HandlerFunc(func(context.Context, admission.Request) admission.Response {
			return admission.Patched("", jsonpatch.NewOperation("add", "/metadata/annotations/loadtest.jobfit.dev~1seen", "true"))
		}), nil
	default:
		return nil, fmt.Errorf("unknown -handler %q: jobfit, allow or annotate", name)
	}
}

// startReplica installs the webhook, the namespaces and the example cluster
// policy, starts a replica and waits until it is ready.
func startReplica(ctx context.Context, c client.Client, cfg *rest.Config, handler admission.Handler) error {
	hostIP, err := stack.NonLoopbackIPv4()
	if err != nil {
		return err
	}
	port, err := stack.FreePort()
	if err != nil {
		return err
	}
	probePort, err := stack.FreePort()
	if err != nil {
		return err
	}
	fmt.Printf("apiserver: kube-apiserver at %s, webhook replica at %s:%d\n", cfg.Host, hostIP, port)
	if err := (stack.Manifests{}).Install(ctx, c, hostIP, port); err != nil {
		return err
	}
	objs, err := replicaObjects()
	if err != nil {
		return err
	}
	for _, obj := range objs {
		if err := c.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %s: %w", obj.GetName(), err)
		}
	}
	dir, err := os.MkdirTemp("", "jobfit-loadtest-")
	if err != nil {
		return err
	}
	mgr, err := stack.NewManager(cfg, stack.Replica{
		Port: port, CertDir: filepath.Join(dir, "certs"), MetricsAddr: "0", ProbeAddr: fmt.Sprintf("127.0.0.1:%d", probePort),
		Handler: handler,
	})
	if err != nil {
		return err
	}
	go func() { _ = mgr.Start(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the webhook replica did not become ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// replicaObjects are the namespaces, the -policy ConfigMap and, with
// -image-platforms, the image-platform cache a replica needs.
func replicaObjects() ([]client.Object, error) {
	b, err := os.ReadFile(policyFile)
	if err != nil {
		return nil, err
	}
	cm := &corev1.ConfigMap{}
	if err := yaml.Unmarshal(b, cm); err != nil {
		return nil, err
	}
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nsWith, Labels: map[string]string{v1alpha1.InjectLabel: v1alpha1.InjectEnabled}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nsWithout}},
		cm,
	}
	if imagesFile != "" {
		doc, err := os.ReadFile(imagesFile)
		if err != nil {
			return nil, err
		}
		objs = append(objs, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: cm.Namespace, Name: v1alpha1.ImagePlatformsName},
			Data: map[string]string{v1alpha1.ImagePlatformsKey: string(doc)}})
	}
	return objs, nil
}

// startEnvtest starts kube-apiserver and etcd for -mode mode, and returns them with an admin config and client; the
// caller stops env.
func startEnvtest(mode string) (*envtest.Environment, *rest.Config, client.Client, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, nil, nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set; run KUBEBUILDER_ASSETS=$(hack/build-control-plane.sh) go run ./hack/loadtest -mode %s", mode)
	}
	env := stack.Environment()
	cfg, err := env.Start()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("starting envtest: %w", err)
	}
	cfg.QPS, cfg.Burst = 1000, 1000
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		_ = env.Stop()
		return nil, nil, nil, err
	}
	return env, cfg, c, nil
}
