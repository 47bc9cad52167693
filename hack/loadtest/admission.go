package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/webhook"
)

// runAdmission serves the handler on loopback and sends rate reviews per
// second for d. With separate, the server runs in a child process (this
// binary with -mode serve), as it does in a cluster, so that the load
// generator's allocations and goroutines do not share its runtime.
func runAdmission(rate int, d time.Duration, handler string, separate bool, cpuProfile, gogc string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	certDir, caPEM, err := selfSignedCert()
	if err != nil {
		return err
	}
	defer os.RemoveAll(certDir)
	port, err := stack.FreePort()
	if err != nil {
		return err
	}
	var cpu func() time.Duration
	if separate {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		cmd := exec.Command(exe, "-mode", "serve", "-port", strconv.Itoa(port), "-cert-dir", certDir, "-handler", handler, "-server-cpuprofile", cpuProfile,
			"-policy", policyFile, "-image-platforms", imagesFile, "-runner-tags", runnerTags)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmd.Env = append(os.Environ(), "GOGC="+gogc)
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("starting the server process: %w", err)
		}
		defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
		cpu = func() time.Duration { return processCPU(cmd.Process.Pid) }
	} else {
		go func() { _ = serve(ctx, port, certDir, handler) }()
		cpu = func() time.Duration { return processCPU(os.Getpid()) }
	}

	body, err := review()
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 256,
	}}
	url := fmt.Sprintf("https://127.0.0.1:%d%s", port, webhook.Path)
	wantPatch := handler != "allow"
	if err := waitServing(client, url, body, wantPatch); err != nil {
		return err
	}
	where := "in this process"
	if separate {
		where = "in a child process"
	}
	if separate {
		where += " with GOGC=" + gogc
	}
	fmt.Printf("admission: %d/s for %s to %s (TLS, HTTP/1.1 keep-alive), handler %s %s\n", rate, d, url, handler, where)
	cpu0 := cpu()
	lat, failed, elapsed := sendAtRate(client, url, body, rate, d, wantPatch)
	cpuUsed := cpu() - cpu0
	fmt.Printf("admission: %s errors=%d throughput=%.1f/s\n", lat, failed, float64(len(lat))/elapsed.Seconds())
	if n := len(lat) + failed; n > 0 && separate {
		fmt.Printf("admission: server CPU %s per request (%.2f cores)\n", round(cpuUsed/time.Duration(n)), cpuUsed.Seconds()/elapsed.Seconds())
	}
	return nil
}

// serveProcess is the child process of a separate run: it serves until
// interrupted, writing a CPU profile when asked to.
func serveProcess(port int, certDir, handler, cpuProfile string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	return serve(ctx, port, certDir, handler)
}

// serve runs the webhook server with the named handler (see floorHandler)
// until ctx ends.
func serve(ctx context.Context, port int, certDir, handler string) error {
	h, err := floorHandler(handler)
	if err != nil {
		return err
	}
	if h == nil {
		store, err := exampleStore()
		if err != nil {
			return err
		}
		h = webhook.NewHandler(store)
	}
	srv := webhook.NewServer(webhook.ServerOptions{Host: "127.0.0.1", Port: port, CertDir: certDir})
	srv.Register(webhook.Path, webhook.NewReviewHandler(&admission.Webhook{Handler: h}))
	return srv.Start(ctx)
}

// processCPU is the user + system CPU time pid has used so far, from
// /proc/<pid>/stat (Linux).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it are fixed.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const clockTicks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// sendAtRate sends one request every 1/rate seconds, each on its own
// goroutine, and returns the latencies of the successful ones.
func sendAtRate(client *http.Client, url string, body []byte, rate int, d time.Duration, wantPatch bool) (summary, int, time.Duration) {
	var (
		mu     sync.Mutex
		lat    summary
		failed int
		wg     sync.WaitGroup
	)
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	start := time.Now()
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			ok := post(client, url, body, wantPatch)
			el := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				lat = append(lat, el)
			} else {
				failed++
			}
		}()
	}
	wg.Wait()
	return lat, failed, time.Since(start)
}

// post sends one review and checks that the pod was allowed, with a patch
// when wantPatch.
func post(client *http.Client, url string, body []byte, wantPatch bool) bool {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	out := &admissionv1.AdmissionReview{}
	b, err := io.ReadAll(resp.Body)
	if err != nil || json.Unmarshal(b, out) != nil || out.Response == nil {
		return false
	}
	return out.Response.Allowed && (len(out.Response.Patch) > 0) == wantPatch
}

func waitServing(client *http.Client, url string, body []byte, wantPatch bool) error {
	deadline := time.Now().Add(10 * time.Second)
	for !post(client, url, body, wantPatch) {
		if time.Now().After(deadline) {
			return fmt.Errorf("webhook server at %s did not answer with a patch", url)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// policyFile and imagesFile are -policy and -image-platforms.
var policyFile, imagesFile = "manifests/examples/policies/eks-karpenter.yaml", ""

// exampleStore holds the -policy (the example EKS + Karpenter policy by
// default) and the -image-platforms, if any.
func exampleStore() (*webhook.Store, error) {
	images, err := readImages()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(policyFile)
	if err != nil {
		return nil, err
	}
	p, errs := policy.Load(b)
	if len(errs) > 0 {
		return nil, fmt.Errorf("loading example policy: %w", errs.ToAggregate())
	}
	s := webhook.NewStore()
	s.SetCluster(p)
	s.SetImages(images)
	return s, nil
}

// readImages reads -image-platforms; nil without one.
func readImages() (policy.ImagePlatforms, error) {
	if imagesFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(imagesFile)
	if err != nil {
		return nil, err
	}
	return policy.ParseImagePlatforms(b)
}

// runnerTags is -runner-tags: when set, the job pod's CI_RUNNER_TAGS.
var runnerTags string

// jobPod is the GitLab Runner 18.11 job pod, with -runner-tags applied.
func jobPod() (*corev1.Pod, error) {
	b, err := os.ReadFile("webhook/testdata/job-pod-v18.11.yaml")
	if err != nil {
		return nil, err
	}
	pod := &corev1.Pod{}
	if err := yaml.UnmarshalStrict(b, pod); err != nil {
		return nil, err
	}
	if runnerTags != "" {
		for i := range pod.Spec.Containers {
			for j := range pod.Spec.Containers[i].Env {
				if e := &pod.Spec.Containers[i].Env[j]; e.Name == "CI_RUNNER_TAGS" {
					e.Value = runnerTags
				}
			}
		}
	}
	return pod, nil
}

// review is the AdmissionReview the kube-apiserver sends for the job pod.
func review() ([]byte, error) {
	pod, err := jobPod()
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(pod)
	if err != nil {
		return nil, err
	}
	return json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       "00000000-0000-4000-8000-000000000001",
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Operation: admissionv1.Create,
			Namespace: pod.Namespace,
			Object:    runtime.RawExtension{Raw: raw},
		},
	})
}

// selfSignedCert writes a self-signed key pair for localhost and 127.0.0.1.
func selfSignedCert() (dir string, certPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", nil, err
	}
	if dir, err = os.MkdirTemp("", "jobfit-loadtest-"); err != nil {
		return "", nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), certPEM, 0o600); err != nil {
		return "", nil, err
	}
	return dir, certPEM, os.WriteFile(filepath.Join(dir, "tls.key"), keyPEM, 0o600)
}
