package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/hack/sim/cluster"
	"jobfit.dev/jobfit/hack/sim/replay"
	"jobfit.dev/jobfit/hack/sim/report"
	"jobfit.dev/jobfit/hack/sim/trace"
	"jobfit.dev/jobfit/hack/stack"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/scaler/config"
)

// replayJobs plays tr on a running stack and summarises it.
func replayJobs(ctx context.Context, o *options, s *stack.Stack, factory *replay.PodFactory, mode string, tr *trace.Trace, types string) (*modeResult, error) {
	pools, err := cluster.NodePools(o.Manifests, o.Speed)
	if err != nil {
		return nil, err
	}
	largestCPU, err := cluster.LargestAllocatableCPU(pools, cluster.Catalog(true))
	if err != nil {
		return nil, err
	}
	records := make([]*replay.JobRecord, len(tr.Jobs))
	pods := map[*replay.JobRecord]*corev1.Pod{}
	for i, job := range tr.Jobs {
		pod, intent := factory.Pod(i, job, runnerNamespace)
		records[i] = &replay.JobRecord{Job: job, Intent: intent, Pod: pod.Name, Index: i}
		pods[records[i]] = pod
	}
	rec := replay.NewRecorder(runnerNamespace, records)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := startCache(rctx, s, rec); err != nil {
		return nil, err
	}
	if mode == modeJobfit {
		if err := warmUp(rctx, s, o); err != nil {
			return nil, err
		}
	}
	clock := replay.Clock{Start: tr.Start(), Wall0: time.Now().Add(time.Second), Speed: o.Speed}
	logf("%s: replaying %d jobs (%s of trace time)", mode, len(tr.Jobs), tr.End().Sub(tr.Start()).Round(time.Second))
	runner := &replay.Runner{Client: s.Client, Factory: factory, Recorder: rec, Clock: clock, PollTimeout: o.PollTimeout, Pods: pods,
		Namespace: runnerNamespace, Pulls: &replay.Pulls{Duration: clock.Wall(o.Pull)}}
	var bg background
	if o.SpotOutage != "" {
		bg.run(rctx, func(ctx context.Context) error { return spotOutage(ctx, o, s, clock, types) })
	}
	if o.KillScheduler != "" && s.Binpack != nil {
		bg.run(rctx, func(ctx context.Context) error { return killScheduler(ctx, o, s.Binpack, clock) })
	}
	if o.SpotInterruptions > 0 {
		runner.Retry = &replay.Retry{Delay: o.RetryDelay, Max: maxRetries}
		in := &replay.Interrupter{Client: s.Client, Recorder: rec, Clock: clock, Rate: o.SpotInterruptions, Namespace: runnerNamespace,
			Rand: rand.New(rand.NewPCG(o.InterruptionSeed, o.InterruptionSeed)), Notice: spotNotice, Log: logf}
		bg.run(rctx, in.Run)
	}
	progress := startProgress(rctx, mode, clock, tr)
	if err := runner.Run(rctx, records); err != nil {
		return nil, err
	}
	progress()
	end := time.Now()
	cancel()
	if err := bg.wait(ctx); err != nil {
		return nil, err
	}
	return summarise(o, mode, tr, rec, clock, end, largestCPU), nil
}

// background runs the replay's disruptions (spot outage, spot
// interruptions, the packing scheduler's kill) beside the jobs.
type background struct{ errs []chan error }

// run runs f in a goroutine.
func (b *background) run(ctx context.Context, f func(context.Context) error) {
	ch := make(chan error, 1)
	b.errs = append(b.errs, ch)
	go func() { ch <- f(ctx) }()
}

// wait waits for every f and returns the first error, unless ctx (the
// replay's parent) was cancelled: an interrupted replay is no failure of
// its disruptions.
func (b *background) wait(ctx context.Context) error {
	var first error
	for _, ch := range b.errs {
		if err := <-ch; err != nil && first == nil && ctx.Err() == nil {
			first = err
		}
	}
	return first
}

// maxRetries is GitLab's retry: max: 2, the most it allows.
const maxRetries = 2

// spotNotice is the spot interruption warning AWS gives.
const spotNotice = 2 * time.Minute

// warmUp gives the scaler the time it would have had before the trace's
// first job in a real cluster: until its placeholder pods are running, or
// three boot times. A ScalerPolicy with headroom whose scaler made no
// placeholder at all is an error: the replay would measure jobfit without
// the headroom it ships with (the scaler's log says why).
func warmUp(ctx context.Context, s *stack.Stack, o *options) error {
	wantHeadroom, err := headroomWanted(o)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(3*time.Duration(float64(o.Boot)/o.Speed) + 5*time.Second)
	total, running := 0, 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var pods corev1.PodList
		if err := s.Client.List(ctx, &pods, client.HasLabels{v1alpha1.HeadroomLabel}); err == nil {
			total, running = len(pods.Items), 0
			for _, p := range pods.Items {
				if p.Status.Phase == corev1.PodRunning {
					running++
				}
			}
			if total > 0 && running == total {
				logf("jobfit: %d headroom placeholders running before the first job", running)
				return nil
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	if wantHeadroom && total == 0 && ctx.Err() == nil {
		return fmt.Errorf("the ScalerPolicy %s enables headroom with a minimum, but the scaler created no placeholder (see jobfit-scaler.log, keep it with --logs)", o.ScalerPolicy)
	}
	logf("jobfit: warm-up over with %d of %d headroom placeholders running", running, total)
	return nil
}

// headroomWanted reports whether the ScalerPolicy enables headroom with a
// minimum above zero for some arch, so that placeholders must appear.
func headroomWanted(o *options) (bool, error) {
	cm, _, err := cluster.ScalerPolicy(o.ScalerPolicy, o.Speed)
	if err != nil {
		return false, err
	}
	doc, _, _ := unstructured.NestedString(cm.Object, "data", "policy.yaml")
	p, errs := config.Load([]byte(doc))
	if len(errs) > 0 {
		return false, errs.ToAggregate()
	}
	if !p.Headroom.Enabled {
		return false, nil
	}
	for _, a := range p.Headroom.PerArch {
		if a.Min > 0 {
			return true, nil
		}
	}
	return false, nil
}

// startProgress prints the replay's progress every 30 s of wall time.
func startProgress(ctx context.Context, mode string, clock replay.Clock, tr *trace.Trace) func() {
	done := make(chan struct{})
	total := tr.End().Sub(tr.Start())
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case <-t.C:
				logf("%s: trace time %s of %s", mode, clock.Trace(time.Since(clock.Wall0)).Round(time.Second), total.Round(time.Second))
			}
		}
	}()
	return func() { close(done) }
}

// summarise converts the records to trace seconds and computes the figures.
func summarise(o *options, mode string, tr *trace.Trace, rec *replay.Recorder, clock replay.Clock, end time.Time, largestCPU float64) *modeResult {
	jobs, nodes, claims := rec.Snapshot()
	prices := cluster.PriceTable(cluster.Catalog(true))
	in := report.Input{Mode: mode, Skipped: tr.Skipped, From: 0, To: clock.TraceSeconds(end), PollTimeout: o.PollTimeout.Seconds(),
		Price: func(it, capacity string) float64 { return prices[it][capacity] }, Boot: o.Boot.Seconds(), InterruptionRate: o.SpotInterruptions,
		LargestCPU: largestCPU}
	for _, j := range jobs {
		r := report.JobResult{Created: clock.TraceSeconds(j.Created), IntentArch: j.Intent.Arch, IntentCapacity: j.Intent.Capacity,
			FailedPoll: j.FailedPoll, Disrupted: j.Disrupted, Job: j.Index, Attempt: j.Attempt, Interrupted: j.Interrupted,
			CPU: j.CPU, Pull: clock.Trace(j.Pull).Seconds(), Scheduler: j.Scheduler, Preempted: j.Preempted}
		if !j.Bound.IsZero() {
			at := clock.TraceSeconds(j.Bound)
			r.Bound = &at
		}
		if !j.Running.IsZero() {
			at := clock.TraceSeconds(j.Running)
			r.Running = &at
			n := nodes[j.Node]
			r.NodeArch, r.NodeCapacity, r.NewNode = n.Arch, n.Capacity, n.Seen.After(j.Created)
		}
		if !j.Ended.IsZero() {
			r.Ended = clock.TraceSeconds(j.Ended)
		}
		in.Jobs = append(in.Jobs, r)
	}
	for _, c := range claims {
		to := in.To
		if !c.Deleted.IsZero() {
			to = clock.TraceSeconds(c.Deleted)
		}
		in.Nodes = append(in.Nodes, report.Interval{From: clock.TraceSeconds(c.Created), To: to,
			Arch: c.Info.Arch, Capacity: c.Info.Capacity, InstanceType: c.Info.InstanceType, CPU: c.CPU})
	}
	if o.SpotOutage != "" {
		in.Outage = &report.Window{Start: o.outageStart.Seconds(), End: (o.outageStart + o.outageLength).Seconds()}
	}
	if o.KillScheduler != "" && binpacks(mode) {
		in.Kill = &report.Window{Start: o.killStart.Seconds(), End: (o.killStart + o.killLength).Seconds()}
	}
	step := max(5, in.To/600)
	return &modeResult{Run: report.Summarise(in), Charts: modeCharts{
		Mode: mode, Series: report.Timeline(in.Jobs, in.Nodes, 0, in.To, step), Jobs: in.Jobs, Outage: in.Outage, Kill: in.Kill,
	}}
}

// spotOutage removes the spot offerings from the kwok provider's file for
// the outage window: the provider marks every offering it loads available,
// so the only way to make spot unavailable is to restart it without them.
func spotOutage(ctx context.Context, o *options, s *stack.Stack, clock replay.Clock, types string) error {
	for _, step := range []struct {
		at       time.Duration
		withSpot bool
	}{{o.outageStart, false}, {o.outageStart + o.outageLength, true}} {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(clock.WallAt(clock.Start.Add(step.at)))):
		}
		if err := cluster.WriteInstanceTypes(types, cluster.Catalog(step.withSpot)); err != nil {
			return err
		}
		if err := restartKarpenter(ctx, s); err != nil {
			return err
		}
		logf("spot outage: spot offerings %s at trace time %s", map[bool]string{false: "removed", true: "restored"}[step.withSpot], step.at)
	}
	return nil
}

func restartKarpenter(ctx context.Context, s *stack.Stack) error {
	restartAt := time.Now()
	if err := s.Karpenter.Stop(); err != nil {
		return err
	}
	if err := s.Karpenter.Start(); err != nil {
		return fmt.Errorf("restarting Karpenter: %w", err)
	}
	n, err := replay.DropLostLaunches(ctx, s.Client, restartAt)
	if err != nil {
		return err
	}
	if n > 0 {
		logf("spot outage: %d node launches in flight were lost with the provider's restart; their NodeClaims were deleted so Karpenter replaces them", n)
	}
	return nil
}
