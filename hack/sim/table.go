package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"jobfit.dev/jobfit/hack/sim/report"
)

// row is one figure across the runs.
type row struct {
	Name   string
	Values []string
}

func rows(rep report.Report) []row {
	f := func(name string, get func(r report.Run) string) row {
		out := row{Name: name}
		for _, r := range rep.Runs {
			out.Values = append(out.Values, get(r))
		}
		return out
	}
	num := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	opt := func(v *float64) string {
		if v == nil {
			return "never"
		}
		return num(*v)
	}
	out := []row{
		f("jobs", func(r report.Run) string { return fmt.Sprint(r.Jobs) }),
		f("failed (poll timeout)", func(r report.Run) string { return fmt.Sprint(r.FailedPollTimeout) }),
		f("wait p50 (s)", func(r report.Run) string { return num(r.WaitSeconds.P50) }),
		f("wait p90 (s)", func(r report.Run) string { return num(r.WaitSeconds.P90) }),
		f("wait p95 (s)", func(r report.Run) string { return num(r.WaitSeconds.P95) }),
		f("wait p99 (s)", func(r report.Run) string { return num(r.WaitSeconds.P99) }),
		f("wait max (s)", func(r report.Run) string { return num(r.WaitSeconds.Max) }),
		f("node-seconds", func(r report.Run) string { return fmt.Sprintf("%.0f", r.NodeSeconds.Total) }),
		f("  spot", func(r report.Run) string { return fmt.Sprintf("%.0f", r.NodeSeconds.Spot) }),
		f("  on-demand", func(r report.Run) string { return fmt.Sprintf("%.0f", r.NodeSeconds.OnDemand) }),
		f("  lower bound (fluid)", func(r report.Run) string { return fmt.Sprintf("%.0f", r.NodeSecondsLowerBound) }),
		f("utilization (CPU)", func(r report.Run) string { return fmt.Sprintf("%.1f%%", 100*r.Utilization) }),
		f("cost (USD)", func(r report.Run) string { return fmt.Sprintf("%.2f", r.Cost) }),
		f("nodes launched", func(r report.Run) string { return fmt.Sprint(r.NodesLaunched) }),
		f("peak nodes", func(r report.Run) string { return fmt.Sprint(r.PeakNodes) }),
		f("jobs packed", func(r report.Run) string { return fmt.Sprint(r.PackedJobs) }),
		f("wrong arch", func(r report.Run) string { return fmt.Sprint(r.WrongArch) }),
		f("disrupted running", func(r report.Run) string { return fmt.Sprint(r.DisruptedRunning) }),
		f("image pulls: jobs (s)", func(r report.Run) string { return fmt.Sprintf("%d (%.0f)", r.Pulls.Jobs, r.Pulls.Seconds) }),
		f("  wait p95 without pulls (s)", func(r report.Run) string { return num(r.Pulls.WaitP95Without) }),
	}
	out = append(out, pathRows(f)...)
	out = append(out, killRows(rep, f)...)
	if len(rep.Runs) > 0 && rep.Runs[0].SpotOutage != nil {
		out = append(out,
			f("outage: first on-demand after (s)", func(r report.Run) string { return opt(r.SpotOutage.FirstOnDemandAfter) }),
			f("  first need + boot (s)", func(r report.Run) string { return opt(r.SpotOutage.FirstNeedPlusBoot) }),
			f("  ratio to first need + boot", func(r report.Run) string {
				return ratio(r.SpotOutage.FirstOnDemandAfter, r.SpotOutage.FirstNeedPlusBoot)
			}),
			f("outage: wait p95 during (s)", func(r report.Run) string { return opt(r.SpotOutage.WaitP95During) }),
			f("outage: back to spot after (s)", func(r report.Run) string { return opt(r.SpotOutage.BackToSpotAfter) }))
	}
	if len(rep.Runs) > 0 && rep.Runs[0].Interruptions != nil {
		out = append(out,
			f("interruptions: jobs interrupted", func(r report.Run) string { return fmt.Sprint(r.Interruptions.Interrupted) }),
			f("  interrupted twice or more", func(r report.Run) string { return fmt.Sprint(r.Interruptions.Twice) }),
			f("  retries (on on-demand)", func(r report.Run) string {
				return fmt.Sprintf("%d (%d)", r.Interruptions.Retries, r.Interruptions.OnDemand)
			}),
			f("  run time lost (s)", func(r report.Run) string { return num(r.Interruptions.LostSeconds) }))
	}
	return out
}

// killRows are the --kill-scheduler figures, "-" for a mode without the
// packing scheduler; none without --kill-scheduler.
func killRows(rep report.Report, f func(string, func(report.Run) string) row) []row {
	killed := false
	for _, r := range rep.Runs {
		killed = killed || r.SchedulerKill != nil
	}
	if !killed {
		return nil
	}
	k := func(get func(k *report.SchedulerKill) string) func(report.Run) string {
		return func(r report.Run) string {
			if r.SchedulerKill == nil {
				return "-"
			}
			return get(r.SchedulerKill)
		}
	}
	return []row{
		f("scheduler killed (s)", k(func(k *report.SchedulerKill) string { return fmt.Sprintf("%.0f-%.0f", k.Start, k.End) })),
		f("  jobs created then", k(func(k *report.SchedulerKill) string { return fmt.Sprint(k.Jobs) })),
		f("  of them failed (poll timeout)", k(func(k *report.SchedulerKill) string { return fmt.Sprint(k.FailedPollTimeout) })),
		f("  their wait p95 (s)", k(func(k *report.SchedulerKill) string { return fmt.Sprintf("%.1f", k.WaitP95) })),
		f("  of them on the default scheduler", k(func(k *report.SchedulerKill) string { return fmt.Sprint(k.DefaultScheduler) })),
		f("pending at the kill, failed", k(func(k *report.SchedulerKill) string {
			return fmt.Sprintf("%d, %d", k.PendingAtKill, k.FailedPendingAtKill)
		})),
	}
}

// ratio is a/b to two places, or "-" where either is missing.
func ratio(a, b *float64) string {
	if a == nil || b == nil || *b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", *a / *b)
}

// printTable prints the runs side by side; times are trace seconds.
func printTable(w io.Writer, rep report.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"figure"}
	for _, r := range rep.Runs {
		head = append(head, r.Mode)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, r := range rows(rep) {
		fmt.Fprintln(tw, r.Name+"\t"+strings.Join(r.Values, "\t")+"\t")
	}
	_ = tw.Flush()
}

// pathRows are the jobs and waits of each path to a node
// (report.PathWaits), "-" for a path a run's jobs did not take.
func pathRows(f func(string, func(report.Run) string) row) []row {
	get := func(r report.Run, path string) *report.PathWaits {
		for i := range r.WaitByPath {
			if r.WaitByPath[i].Path == path {
				return &r.WaitByPath[i]
			}
		}
		return nil
	}
	var out []row
	for _, path := range report.Paths {
		out = append(out, f("path "+path+": jobs, wait p50/p95, bind/start/pull p95 (s)", func(r report.Run) string {
			p := get(r, path)
			if p == nil {
				return "-"
			}
			return fmt.Sprintf("%d, %.1f/%.1f, %.1f/%.1f/%.1f", p.Jobs, p.Wait.P50, p.Wait.P95, p.BindP95, p.StartP95, p.PullP95)
		}))
	}
	return out
}
