// Command sim replays a team's GitLab jobs through jobfit's webhook and
// scaler, Karpenter (its kwok provider), kube-scheduler and kwok, and
// reports how long jobs waited for a node and what the nodes cost. See
// docs/sim.md.
//
//	go run ./hack/sim --sample --compare --json out.json --html out.html
//	go run ./hack/sim --trace jobs.json --compare
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"jobfit.dev/jobfit/hack/sim/cluster"
	"jobfit.dev/jobfit/hack/sim/report"
	"jobfit.dev/jobfit/hack/sim/trace"
)

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "sim:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o *options) error {
	ctrl.SetLogger(logr.Discard())
	if o.WriteSample != "" {
		raw, err := trace.Sample(trace.SampleOptions{Seed: o.SampleSeed, Shape: o.SampleShape, Length: o.SampleLength})
		if err != nil {
			return err
		}
		return os.WriteFile(o.WriteSample, raw, 0o600)
	}
	tr, err := loadTrace(o)
	if err != nil {
		return err
	}
	if len(tr.Jobs) == 0 {
		return fmt.Errorf("the trace has no job with a run time (skipped: %v)", tr.Skipped)
	}
	span := tr.End().Sub(tr.Start())
	logf("trace: %d jobs over %s (skipped %v); speed %g: about %s of wall time per mode",
		len(tr.Jobs), span.Round(time.Second), tr.Skipped, o.Speed, time.Duration(float64(span)/o.Speed).Round(time.Second))
	if wall := time.Duration(float64(o.Boot) / o.Speed); o.Boot > 0 && absDiff(cluster.Scale(o.Boot, o.Speed), wall) > wall/10 {
		logf("warning: --boot %s at --speed %g is %s of wall time, rounded to %s (Karpenter takes whole seconds): boots last %s of trace time",
			o.Boot, o.Speed, wall, cluster.Scale(o.Boot, o.Speed), time.Duration(float64(cluster.Scale(o.Boot, o.Speed))*o.Speed))
	}
	tools, err := buildTools(ctx)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tools.dir)
	var rep report.Report
	var charts []modeCharts
	for _, mode := range o.modes() {
		res, err := runMode(ctx, o, tools, mode, tr)
		if err != nil {
			return fmt.Errorf("mode %s: %w", mode, err)
		}
		rep.Runs = append(rep.Runs, res.Run)
		charts = append(charts, res.Charts)
	}
	printTable(os.Stdout, rep)
	return writeReports(o, rep, charts)
}

// writeReports writes the --json, --jobs and --html files asked for.
func writeReports(o *options, rep report.Report, charts []modeCharts) error {
	if o.JSON != "" {
		raw, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding the report: %w", err)
		}
		if err := os.WriteFile(o.JSON, append(raw, '\n'), 0o644); err != nil {
			return fmt.Errorf("writing --json: %w", err)
		}
		fmt.Printf("JSON report: %s\n", o.JSON)
	}
	if o.Jobs != "" {
		if err := writeJobsCSV(o.Jobs, charts, o.PollTimeout.Seconds()); err != nil {
			return err
		}
		fmt.Printf("Jobs: %s\n", o.Jobs)
	}
	if o.HTML != "" {
		if err := writeHTML(o.HTML, o, rep, charts); err != nil {
			return err
		}
		abs, _ := filepath.Abs(o.HTML)
		fmt.Printf("HTML report: %s\n", abs)
	}
	return nil
}

func loadTrace(o *options) (*trace.Trace, error) {
	var tr *trace.Trace
	if o.Sample {
		raw, err := trace.Sample(trace.SampleOptions{Seed: o.SampleSeed, Shape: o.SampleShape, Length: o.SampleLength})
		if err != nil {
			return nil, err
		}
		if tr, err = trace.Read(strings.NewReader(string(raw))); err != nil {
			return nil, fmt.Errorf("reading the sample: %w", err)
		}
	} else {
		f, err := os.Open(o.Trace)
		if err != nil {
			return nil, fmt.Errorf("opening --trace: %w", err)
		}
		defer f.Close()
		if tr, err = trace.Read(f); err != nil {
			return nil, fmt.Errorf("reading %s: %w", o.Trace, err)
		}
	}
	if o.Length > 0 {
		tr.Truncate(o.Length)
	}
	return tr, nil
}

// toolset is where the stack's binaries are.
type toolset struct {
	assets, e2e, jobfit string
	dir                 string
}

// buildTools builds (or finds cached) the control plane and the e2e tools
// with the repository's scripts, and jobfit itself.
func buildTools(ctx context.Context) (*toolset, error) {
	t := &toolset{assets: os.Getenv("KUBEBUILDER_ASSETS"), e2e: os.Getenv("JOBFIT_E2E_TOOLS")}
	for _, s := range []struct {
		dir    *string
		script string
	}{{&t.assets, "hack/build-control-plane.sh"}, {&t.e2e, "hack/build-e2e-tools.sh"}} {
		if *s.dir != "" {
			continue
		}
		logf("building or finding the tools: %s", s.script)
		cmd := exec.CommandContext(ctx, s.script)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.script, err)
		}
		*s.dir = strings.TrimSpace(string(out))
	}
	dir, err := os.MkdirTemp("", "jobfit-sim-bin-")
	if err != nil {
		return nil, fmt.Errorf("making a directory for jobfit: %w", err)
	}
	t.dir, t.jobfit = dir, filepath.Join(dir, "jobfit")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", t.jobfit, "./cmd/jobfit")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("building jobfit: %w", err)
	}
	return t, nil
}

func absDiff(a, b time.Duration) time.Duration {
	if a > b {
		return a - b
	}
	return b - a
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "sim: "+format+"\n", args...)
}
