package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"
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
	Mode         string
	Compare      bool
	Boot         time.Duration
	PollTimeout  time.Duration
	SpotOutage   string
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
	Logs              string

	outageStart, outageLength time.Duration
}

const (
	modeReactive = "reactive"
	modeJobfit   = "jobfit"
)

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.StringVar(&o.Trace, "trace", "", "GitLab jobs export (GET /projects/:id/jobs JSON: an array, concatenated pages or NDJSON)")
	fs.BoolVar(&o.Sample, "sample", false, "replay the built-in synthetic morning instead of --trace")
	fs.Uint64Var(&o.SampleSeed, "sample-seed", 1, "seed of the synthetic morning")
	fs.DurationVar(&o.SampleLength, "sample-length", 2*time.Hour, "how long pipelines keep arriving in the synthetic morning")
	fs.StringVar(&o.WriteSample, "write-sample", "", "write the synthetic morning as a jobs export to this file and exit")
	fs.DurationVar(&o.Length, "length", 0, "replay only the jobs arriving within this much trace time of the first (0: all)")
	fs.Float64Var(&o.Speed, "speed", 8, "divide every duration by this (8 plays a 2-hour trace in 15 minutes)")
	fs.StringVar(&o.Mode, "mode", modeJobfit, "reactive (webhook, Karpenter alone) or jobfit (webhook and scaler)")
	fs.BoolVar(&o.Compare, "compare", false, "replay in both modes, one after the other, and compare")
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
	if o.Mode != modeReactive && o.Mode != modeJobfit {
		errs = append(errs, fmt.Errorf("--mode %q: must be %s or %s", o.Mode, modeReactive, modeJobfit))
	}
	if o.Boot < 0 || o.PollTimeout <= 0 || o.Length < 0 {
		errs = append(errs, errors.New("--boot, --poll-timeout and --length must not be negative (--poll-timeout positive)"))
	}
	if o.SpotInterruptions < 0 || o.RetryDelay < 0 {
		errs = append(errs, errors.New("--spot-interruptions and --retry-delay must not be negative"))
	}
	if o.SpotOutage != "" {
		if err := o.parseOutage(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (o *options) parseOutage() error {
	start, length, ok := strings.Cut(o.SpotOutage, "+")
	s, err1 := time.ParseDuration(start)
	l, err2 := time.ParseDuration(length)
	if !ok || err1 != nil || err2 != nil || s < 0 || l <= 0 {
		return fmt.Errorf("--spot-outage %q: want START+LENGTH in trace time, such as 30m+20m", o.SpotOutage)
	}
	o.outageStart, o.outageLength = s, l
	return nil
}

// modes are the modes to replay, in order.
func (o *options) modes() []string {
	if o.Compare {
		return []string{modeReactive, modeJobfit}
	}
	return []string{o.Mode}
}
