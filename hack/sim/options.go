package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"jobfit.dev/jobfit/hack/sim/trace"
)

// options are the command's flags.
type options struct {
	Trace        string
	Sample       bool
	SampleSeed   uint64
	SampleLength time.Duration
	WriteSample  string
	Length       time.Duration
	Speed        float64
	SampleShape  string
	Mode         string
	Modes        string
	Compare      bool
	// Pull is how long a node's first pull of an image takes (trace
	// time); 0 disables pulls.
	Pull time.Duration
	// KillScheduler is START+LENGTH: the packing scheduler killed then.
	KillScheduler string
	Boot          time.Duration
	PollTimeout   time.Duration
	SpotOutage    string
	// SpotInterruptions is the rate of spot interruptions per spot
	// node-hour (trace time); InterruptionSeed seeds their draw;
	// RetryDelay is how long after an interruption GitLab's retry comes.
	SpotInterruptions float64
	InterruptionSeed  uint64
	RetryDelay        time.Duration
	ScalerPolicy      string
	Policy            string
	Pod               string
	Manifests         string
	JSON              string
	HTML              string
	Jobs              string
	Logs              string

	outageStart, outageLength time.Duration
	killStart, killLength     time.Duration
	modeList                  []string
}

const (
	modeReactive        = "reactive"
	modeReactiveBinpack = "reactive-binpack"
	modeJobfit          = "jobfit"
)

// allModes are the modes in the order --compare replays them.
var allModes = []string{modeReactive, modeReactiveBinpack, modeJobfit}

// binpacks is whether mode runs the packing scheduler.
func binpacks(mode string) bool { return mode != modeReactive }

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.StringVar(&o.Trace, "trace", "", "GitLab jobs export (GET /projects/:id/jobs JSON: an array, concatenated pages or NDJSON)")
	fs.BoolVar(&o.Sample, "sample", false, "replay the built-in synthetic morning instead of --trace")
	fs.Uint64Var(&o.SampleSeed, "sample-seed", 1, "seed of the synthetic morning")
	fs.DurationVar(&o.SampleLength, "sample-length", 0, "how long pipelines keep arriving in the synthetic trace (0: the shape's, 2h morning, 8h day)")
	fs.StringVar(&o.SampleShape, "sample-shape", trace.ShapeMorning, "the synthetic trace's shape: morning (a ramp to a plateau) or day (ramp, plateau, lunch dip, afternoon, evening decline)")
	fs.StringVar(&o.WriteSample, "write-sample", "", "write the synthetic morning as a jobs export to this file and exit")
	fs.DurationVar(&o.Length, "length", 0, "replay only the jobs arriving within this much trace time of the first (0: all)")
	fs.Float64Var(&o.Speed, "speed", 8, "divide every duration by this (8 plays a 2-hour trace in 15 minutes)")
	fs.StringVar(&o.Mode, "mode", modeJobfit, "reactive (webhook, Karpenter alone), reactive-binpack (webhook, Karpenter and the packing scheduler) or jobfit (webhook, scaler and the packing scheduler)")
	fs.StringVar(&o.Modes, "modes", "", "replay these modes, comma-separated, one after the other, and compare (e.g. reactive,jobfit)")
	fs.BoolVar(&o.Compare, "compare", false, "replay all three modes, one after the other, and compare")
	fs.DurationVar(&o.Pull, "pull", 20*time.Second, "a node's first pull of an image (trace time): the job's start waits for it and it holds its node that much longer; later jobs on that node with the image do not pull (0: no pulls)")
	fs.StringVar(&o.KillScheduler, "kill-scheduler", "", "START+LENGTH in trace time (e.g. 10m+2m): SIGKILL both packing-scheduler processes at START, start them again after LENGTH")
	fs.DurationVar(&o.Boot, "boot", 40*time.Second, "node boot time, launch to Ready (trace time)")
	fs.DurationVar(&o.PollTimeout, "poll-timeout", 180*time.Second, "the runner's poll_timeout: a pod not Running by then fails its job (trace time)")
	fs.StringVar(&o.SpotOutage, "spot-outage", "", "START+LENGTH in trace time (e.g. 30m+20m): no spot capacity in that window")
	fs.Float64Var(&o.SpotInterruptions, "spot-interruptions", 0, "interrupt running spot nodes at this rate per spot node-hour (trace time; two-minute notice), and retry the killed jobs as GitLab's retry: when: runner_system_failure does")
	fs.Uint64Var(&o.InterruptionSeed, "interruption-seed", 1, "seed of the spot interruptions' draw")
	fs.DurationVar(&o.RetryDelay, "retry-delay", 30*time.Second, "with --spot-interruptions: how long after a job is killed its retry is created (trace time)")
	fs.StringVar(&o.ScalerPolicy, "scaler-policy", "manifests/examples/policies/scaler.yaml", "ScalerPolicy ConfigMap for --mode jobfit")
	fs.StringVar(&o.Policy, "policy", "manifests/examples/policies/eks-karpenter.yaml", "cluster Policy ConfigMap for the webhook")
	fs.StringVar(&o.Pod, "pod", "manifests/examples/pods/gitlab-runner-18.11-arm64-job.yaml", "GitLab Runner job pod the jobs' pods are made from")
	fs.StringVar(&o.Manifests, "manifests", "manifests", "the repository's manifests directory (NodePools, webhook)")
	fs.StringVar(&o.JSON, "json", "", "write the report as JSON to this file")
	fs.StringVar(&o.Jobs, "jobs", "", "write one CSV row per job pod of every mode to this file (times in trace seconds, the path it took to a node)")
	fs.StringVar(&o.HTML, "html", "", "write a self-contained HTML page with charts to this file")
	fs.StringVar(&o.Logs, "logs", "", "keep the processes' logs in this directory (default: removed on exit)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return o, o.validate()
}

func (o *options) validate() error {
	var errs []error
	if o.WriteSample == "" && (o.Trace == "") == !o.Sample {
		errs = append(errs, errors.New("give exactly one of --trace FILE and --sample"))
	}
	if o.Speed <= 0 {
		errs = append(errs, fmt.Errorf("--speed %g: must be positive", o.Speed))
	}
	if err := o.parseModes(); err != nil {
		errs = append(errs, err)
	}
	if !slices.Contains(trace.Shapes, o.SampleShape) {
		errs = append(errs, fmt.Errorf("--sample-shape %q: must be one of %s", o.SampleShape, strings.Join(trace.Shapes, ", ")))
	}
	if err := o.parseKill(); err != nil {
		errs = append(errs, err)
	}
	if o.SpotOutage != "" {
		var err error
		if o.outageStart, o.outageLength, err = parseWindow("--spot-outage", o.SpotOutage, "30m+20m"); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, o.validateAmounts()...)...)
}

// validateAmounts checks the durations and rates that must not be
// negative.
func (o *options) validateAmounts() []error {
	var errs []error
	if o.Boot < 0 || o.PollTimeout <= 0 || o.Length < 0 || o.Pull < 0 || o.SampleLength < 0 {
		errs = append(errs, errors.New("--boot, --poll-timeout, --length, --pull and --sample-length must not be negative (--poll-timeout positive)"))
	}
	if o.SpotInterruptions < 0 || o.RetryDelay < 0 {
		errs = append(errs, errors.New("--spot-interruptions and --retry-delay must not be negative"))
	}
	return errs
}

// parseKill parses --kill-scheduler, which needs a mode with the packing
// scheduler.
func (o *options) parseKill() error {
	if o.KillScheduler == "" {
		return nil
	}
	var err error
	if o.killStart, o.killLength, err = parseWindow("--kill-scheduler", o.KillScheduler, "10m+2m"); err != nil {
		return err
	}
	if !slices.ContainsFunc(o.modeList, binpacks) {
		return fmt.Errorf("--kill-scheduler: no mode of %s runs the packing scheduler", strings.Join(o.modeList, ","))
	}
	return nil
}

// parseWindow parses START+LENGTH (trace time) of flag.
func parseWindow(flag, v, example string) (time.Duration, time.Duration, error) {
	start, length, ok := strings.Cut(v, "+")
	s, err1 := time.ParseDuration(start)
	l, err2 := time.ParseDuration(length)
	if !ok || err1 != nil || err2 != nil || s < 0 || l <= 0 {
		return 0, 0, fmt.Errorf("%s %q: want START+LENGTH in trace time, such as %s", flag, v, example)
	}
	return s, l, nil
}

// parseModes sets modeList from --compare, --modes or --mode, which
// exclude each other (--mode only when set).
func (o *options) parseModes() error {
	set := 0
	if o.Compare {
		set++
		o.modeList = allModes
	}
	if o.Modes != "" {
		set++
		o.modeList = strings.Split(o.Modes, ",")
	}
	if set == 0 {
		o.modeList = []string{o.Mode}
	}
	if set > 1 {
		return errors.New("--compare and --modes: give one of them")
	}
	seen := map[string]bool{}
	for _, m := range o.modeList {
		if !slices.Contains(allModes, m) {
			return fmt.Errorf("mode %q: must be one of %s", m, strings.Join(allModes, ", "))
		}
		if seen[m] {
			return fmt.Errorf("--modes: %s twice", m)
		}
		seen[m] = true
	}
	return nil
}

// modes are the modes to replay, in order.
func (o *options) modes() []string { return o.modeList }
