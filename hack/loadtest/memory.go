package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/hack/stack"
)

// shippedGoEnv returns the webhook container's GOGC and GOMEMLIMIT, as
// manifests/base/webhook/deployment.yaml sets them.
func shippedGoEnv() ([]string, error) {
	b, err := os.ReadFile("manifests/base/webhook/deployment.yaml")
	if err != nil {
		return nil, err
	}
	d := &appsv1.Deployment{}
	if err := yaml.Unmarshal(b, d); err != nil {
		return nil, err
	}
	var env []string
	for _, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "GOGC" || e.Name == "GOMEMLIMIT" {
			env = append(env, e.Name+"="+e.Value)
		}
	}
	if len(env) != 2 {
		return nil, fmt.Errorf("the webhook Deployment sets %v, not GOGC and GOMEMLIMIT", env)
	}
	return env, nil
}

// runMemory measures the real `jobfit webhook` binary's peak resident set
// under the audit's memory attack: n concurrent AdmissionReviews just under
// the body limit, with ordinary job-pod reviews beside them. The binary runs
// against a kube-apiserver (envtest) holding the example cluster policy and
// claims, PriorityClasses and ConfigMaps for its caches (objects of each),
// with the shipped GOGC and GOMEMLIMIT.
func runMemory(n, objects int) error {
	env, _, c, err := startEnvtest("memory")
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()
	ctx := context.Background()
	port, probe, err := twoPorts()
	if err != nil {
		return err
	}
	hostIP, err := stack.NonLoopbackIPv4()
	if err != nil {
		return err
	}
	if err := (stack.Manifests{}).Install(ctx, c, hostIP, port); err != nil {
		return err
	}
	if err := populate(ctx, c, objects); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "jobfit-memory-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cmd, goEnv, err := startBinary(env, dir, port, probe)
	if err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	idle, err := vmHWM(cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Printf("memory: jobfit webhook ready with %d objects of each cached kind; peak RSS so far %.1f MiB (%s)\n",
		objects, mib(idle), strings.Join(goEnv, " "))
	large, small, err := attack(hostIP, port, n)
	if err != nil {
		return err
	}
	peak, err := vmHWM(cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Printf("memory: %d concurrent reviews of %.2f MiB: HTTP statuses %v\n", n, mib(int64(maxBody)), large)
	fmt.Printf("memory: 20 ordinary job-pod reviews beside them: %v (200+patch = mutated)\n", small)
	fmt.Printf("memory: peak RSS %.1f MiB (container limit 256 MiB)\n", mib(peak))
	return nil
}

// startBinary builds `jobfit webhook` into dir and starts it as an admin of
// env, with the shipped GOGC and GOMEMLIMIT, serving on port; it returns
// once the binary is ready, with the Go settings it runs with.
func startBinary(env *envtest.Environment, dir string, port, probe int) (*exec.Cmd, []string, error) {
	user, err := env.AddUser(envtest.User{Name: "jobfit-memory", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, nil, err
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "kubeconfig"), kubeconfig, 0o600); err != nil {
		return nil, nil, err
	}
	bin := filepath.Join(dir, "jobfit")
	if out, err := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/jobfit").CombinedOutput(); err != nil {
		return nil, nil, fmt.Errorf("building jobfit: %w: %s", err, out)
	}
	goEnv, err := shippedGoEnv()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin, "webhook", "--namespace=jobfit-system", "--port="+strconv.Itoa(port),
		"--cert-dir="+filepath.Join(dir, "certs"), "--metrics-bind-address=0",
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probe), "--webhook-config-name=jobfit")
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+filepath.Join(dir, "kubeconfig")), goEnv...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	if err := waitReady(probe); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, nil, fmt.Errorf("%w; its log:\n%s", err, tail(logs.String(), 30))
	}
	return cmd, goEnv, nil
}

// maxBody is just under the webhook's 3.25 MiB body limit.
const maxBody = 3<<20 + 256<<10 - 64<<10

// attack sends n large reviews at once and, while they are in flight, 20
// ordinary ones; it returns the status counts of each kind.
func attack(host string, port, n int) (large, small map[string]int, err error) {
	body, err := review()
	if err != nil {
		return nil, nil, err
	}
	big, err := paddedReview(maxBody)
	if err != nil {
		return nil, nil, err
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, MaxConnsPerHost: 0, MaxIdleConnsPerHost: n + 20}}
	url := fmt.Sprintf("https://%s:%d/mutate-v1-pod", host, port)
	large, small = map[string]int{}, map[string]int{}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	send := func(b []byte, into map[string]int, wantPatch bool) {
		status := "error"
		if resp, err := client.Post(url, "application/json", bytes.NewReader(b)); err == nil {
			status = strconv.Itoa(resp.StatusCode)
			_ = resp.Body.Close()
			if wantPatch && resp.StatusCode == http.StatusOK && post(client, url, b, true) {
				status = "200+patch"
			}
		}
		mu.Lock()
		into[status]++
		mu.Unlock()
	}
	for range n {
		wg.Go(func() { send(big, large, false) })
	}
	time.Sleep(100 * time.Millisecond)
	for range 20 {
		wg.Go(func() { send(body, small, true) })
	}
	wg.Wait()
	return large, small, nil
}

// paddedReview is the job pod's review with an annotation padding it to
// about size bytes.
func paddedReview(size int) ([]byte, error) {
	b, err := review()
	if err != nil {
		return nil, err
	}
	pad := strings.Repeat("x", size-len(b)-64)
	return bytes.Replace(b, []byte(`"annotations":{`), []byte(`"annotations":{"padding.example.com/blob":"`+pad+`",`), 1), nil
}

// populate creates what the webhook's caches hold in a busy cluster: the
// replica's namespaces and policy (replicaObjects), and n claims,
// PriorityClasses and unrelated ConfigMaps in the runner namespace.
func populate(ctx context.Context, c client.Client, n int) error {
	objs, err := replicaObjects()
	if err != nil {
		return err
	}
	for i := range n {
		name := fmt.Sprintf("cache-%05d", i)
		objs = append(objs,
			&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: nsWith, Name: name}, Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}}},
			&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "class-" + name}, Value: int32(i)},
			&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: nsWith, Name: name}, Data: map[string]string{"x": strings.Repeat("y", 512)}})
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %T %s: %w", o, o.GetName(), err)
		}
	}
	return nil
}

func twoPorts() (int, int, error) {
	a, err := stack.FreePort()
	if err != nil {
		return 0, 0, err
	}
	b, err := stack.FreePort()
	return a, b, err
}

func waitReady(probe int) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/readyz", probe)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("jobfit webhook not ready within 90s")
}

// vmHWM is a process's peak resident set from /proc/PID/status.
func vmHWM(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
