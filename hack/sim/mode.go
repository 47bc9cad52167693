package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/hack/sim/cluster"
	"jobfit.dev/jobfit/hack/sim/replay"
	"jobfit.dev/jobfit/hack/sim/report"
	"jobfit.dev/jobfit/hack/sim/trace"
	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler"
)

// runnerNamespace is where the job pods are created, opted in to jobfit.
const runnerNamespace = "gitlab-runner"

// modeResult is one mode's figures and chart data.
type modeResult struct {
	Run    report.Run
	Charts modeCharts
}

// runMode replays tr in one mode on a fresh stack, and stops it.
func runMode(ctx context.Context, o *options, tools *toolset, mode string, tr *trace.Trace) (*modeResult, error) {
	dir, err := os.MkdirTemp("", "jobfit-sim-")
	if err != nil {
		return nil, fmt.Errorf("making the run's directory: %w", err)
	}
	defer os.RemoveAll(dir)
	logsDir := filepath.Join(dir, "logs")
	if o.Logs != "" {
		logsDir = filepath.Join(o.Logs, mode)
	}
	if err := os.MkdirAll(logsDir, 0o700); err != nil {
		return nil, fmt.Errorf("making the logs directory: %w", err)
	}
	what := "kube-scheduler"
	var binpack *stack.BinpackOptions
	if binpacks(mode) {
		what = "kube-scheduler, the packing scheduler (2 kube-schedulers)"
		binpack = &stack.BinpackOptions{Config: filepath.Join(o.Manifests, "binpack-scheduler", "config.yaml"), Speed: o.Speed}
	}
	logf("%s: starting kube-apiserver, etcd, %s, Karpenter (kwok provider), kwok and jobfit (logs in %s)", mode, what, logsDir)
	types := filepath.Join(dir, "instance-types.json")
	if err := cluster.WriteInstanceTypes(types, cluster.Catalog(true)); err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := scaler.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("building the scheme: %w", err)
	}
	s, err := stack.Start(ctx, stack.Options{Assets: tools.assets, Tools: tools.e2e, Dir: logsDir, Scheme: scheme,
		KarpenterArgs: karpenterArgs(o, types), Binpack: binpack})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := s.Stop(); err != nil {
			logf("%s: stopping the stack: %v", mode, err)
		}
	}()
	factory, err := replay.NewPodFactory(o.Pod, o.Policy)
	if err != nil {
		return nil, err
	}
	if mode == modeReactiveBinpack {
		// What a runner's config.toml scheduler_name = "jobfit-binpack"
		// does: every job pod names the packing scheduler.
		factory.SchedulerName = s.Binpack.SchedulerName
	}
	probe, _ := factory.Pod(0, trace.Job{ID: 1, Name: "probe", ProjectID: 1}, runnerNamespace)
	if err := installJobfit(ctx, o, s, tools, mode, dir, probe); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, s.Logs())
	}
	res, err := replayJobs(ctx, o, s, factory, mode, tr, types)
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, s.Logs())
	}
	return res, nil
}

// karpenterArgs are Karpenter's flags: the instance types, and its batch
// windows (1 s idle, 10 s max by default) divided by the speed.
func karpenterArgs(o *options, types string) []string {
	scale := func(d time.Duration) string { return time.Duration(float64(d) / o.Speed).String() }
	return []string{"--instance-types-file-path=" + types,
		"--batch-idle-duration=" + scale(time.Second), "--batch-max-duration=" + scale(10*time.Second)}
}

// installJobfit installs the shipped webhook objects and policy, runs
// `jobfit webhook` (and `jobfit scaler` in jobfit mode) as processes, and
// creates the NodeClass and the shipped NodePools.
func installJobfit(ctx context.Context, o *options, s *stack.Stack, tools *toolset, mode, dir string, probe *corev1.Pod) error {
	c := s.Client
	hostIP, err := stack.NonLoopbackIPv4()
	if err != nil {
		return err
	}
	port, err := stack.FreePort()
	if err != nil {
		return err
	}
	if err := (stack.Manifests{Dir: o.Manifests}).Install(ctx, c, hostIP, port); err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: runnerNamespace, Labels: map[string]string{v1alpha1.InjectLabel: v1alpha1.InjectEnabled}}}
	if err := c.Create(ctx, ns); err != nil {
		return fmt.Errorf("creating namespace %s: %w", runnerNamespace, err)
	}
	if err := stack.CreateFromFile(ctx, c, o.Policy); err != nil {
		return err
	}
	env := []string{"KUBECONFIG=" + s.Kubeconfig, "POD_NAMESPACE=" + stack.JobfitNamespace}
	if err := s.Run("jobfit-webhook", tools.jobfit, env, "webhook", "--port="+strconv.Itoa(port),
		"--cert-dir="+filepath.Join(dir, "certs"), "--metrics-bind-address=0", "--health-probe-bind-address=0"); err != nil {
		return err
	}
	if err := waitForWebhook(ctx, c, probe); err != nil {
		return err
	}
	pools, err := cluster.NodePools(o.Manifests, o.Speed)
	if err != nil {
		return err
	}
	if err := stack.CreateObjects(ctx, c, append([]*unstructured.Unstructured{cluster.NodeClass(o.Boot, o.Speed)}, pools...)...); err != nil {
		return err
	}
	if mode != modeJobfit {
		return nil
	}
	cm, dropped, err := cluster.ScalerPolicy(o.ScalerPolicy, o.Speed)
	if err != nil {
		return err
	}
	if len(dropped) > 0 {
		logf("%s: left out of the ScalerPolicy (wall-clock cron cannot be compressed): %v", mode, dropped)
	}
	if err := stack.CreateObjects(ctx, c, cm); err != nil {
		return err
	}
	headroomNS, err := installHeadroom(ctx, c, o.Manifests)
	if err != nil {
		return err
	}
	period := max(time.Second, time.Duration(float64(30*time.Second)/o.Speed)).Round(time.Second)
	return s.Run("jobfit-scaler", tools.jobfit, env, "scaler", "--metrics-bind-address=0", "--health-probe-bind-address=0",
		"--headroom-namespace="+headroomNS, "--sync-period="+period.String())
}

// installHeadroom creates the shipped headroom objects (manifests/base/
// headroom: the namespace, its ServiceAccount and the PriorityClass the
// scaler requires) and returns the namespace, which the scaler is then
// told, as the shipped Deployment tells it.
func installHeadroom(ctx context.Context, c client.Client, manifests string) (string, error) {
	files, err := filepath.Glob(filepath.Join(manifests, "base", "headroom", "*.yaml"))
	if err != nil || len(files) == 0 {
		return "", fmt.Errorf("no headroom manifests in %s/base/headroom", manifests)
	}
	ns := ""
	for _, f := range files {
		objs, err := stack.ReadObjects(f)
		if err != nil {
			return "", err
		}
		for _, obj := range objs {
			if obj.GetKind() == "Namespace" {
				ns = obj.GetName()
			}
		}
		if err := stack.CreateObjects(ctx, c, objs...); err != nil {
			return "", err
		}
	}
	if ns == "" {
		return "", fmt.Errorf("%s/base/headroom holds no Namespace", manifests)
	}
	return ns, nil
}

// waitForWebhook dry-runs a job pod until jobfit mutates it: the webhook
// has its certificate, the caBundle is patched and the policy is loaded.
func waitForWebhook(ctx context.Context, c client.Client, probe *corev1.Pod) error {
	deadline := time.Now().Add(90 * time.Second)
	for {
		p := probe.DeepCopy()
		err := c.Create(ctx, p, client.DryRunAll)
		if err == nil && p.Annotations[v1alpha1.AppliedAnnotation] != "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("jobfit's webhook did not mutate a job pod within 90s (last error: %w)", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// startCache starts an informer cache on the stack for the recorder.
func startCache(ctx context.Context, s *stack.Stack, rec *replay.Recorder) error {
	c, err := cache.New(s.Config, cache.Options{Scheme: s.Client.Scheme()})
	if err != nil {
		return fmt.Errorf("creating the cache: %w", err)
	}
	if err := rec.Watch(ctx, c); err != nil {
		return err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return fmt.Errorf("the cache did not sync")
	}
	return nil
}
