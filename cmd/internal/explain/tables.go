// Package explain is what both binaries print and read to explain
// policy.Apply's decisions: the decision tables of `jobfit mutate -o explain`
// and `kubectl jobfit explain`, and LiveReferences, which answers from a
// cluster whether the objects a policy names exist (`jobfit policy validate
// --cluster`, `kubectl jobfit explain`).
package explain

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"

	"jobfit.dev/jobfit/policy"
)

// Write prints what Apply decided for pod and why: the table of
// `jobfit mutate -o explain`, which `kubectl jobfit explain` prints too.
// CHANGED says whether the decision changed pod on this pass.
func Write(w io.Writer, pod *corev1.Pod, dec policy.Decisions) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "pod %s/%s\n", pod.Namespace, pod.Name)
	if dec.Skipped {
		fmt.Fprintf(tw, "skipped: %s\n", dec.Reason)
		return tw.Flush()
	}
	fmt.Fprintf(tw, "job pod: %s\npolicy: %s (hash %s)\n\n", dec.Reason, dec.Policy, dec.Hash)
	writeDecisionRows(tw, dec.Items, true)
	if len(dec.PinConflicts) > 0 {
		fmt.Fprintln(tw, "\nrunner pins that differ from what the job or the fallback wanted:")
		for _, c := range dec.PinConflicts {
			verdict := "runner's value kept"
			if c.Replaced {
				verdict = "replaced (capacity.overrideRunnerPin)"
			}
			fmt.Fprintf(tw, "  %s: %s=%s; %s wanted %s: %s\n", c.Trait, c.PinSource, c.Pinned, c.WantedSource, c.Wanted, verdict)
		}
	}
	if len(dec.ImageArchConflicts) > 0 {
		fmt.Fprintln(tw, "\narches the job asked for that some of its images do not offer (kept):")
		for _, c := range dec.ImageArchConflicts {
			fmt.Fprintf(tw, "  %s (%s): %s\n", c.Arch, c.Source, strings.Join(c.Images, ", "))
		}
	}
	if len(dec.Warnings) > 0 {
		fmt.Fprintln(tw, "\nwarnings:")
		for _, wn := range dec.Warnings {
			fmt.Fprintf(tw, "  - %s\n", wn)
		}
	}
	return tw.Flush()
}

// WriteDecisions prints decisions as Write's table, without the
// CHANGED column: a jobfit.dev/applied record does not keep it.
func WriteDecisions(w io.Writer, items []policy.Decision) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	writeDecisionRows(tw, items, false)
	return tw.Flush()
}

func writeDecisionRows(tw *tabwriter.Writer, items []policy.Decision, changed bool) {
	if !changed {
		fmt.Fprintln(tw, "MUTATION\tVALUE\tSOURCE")
		for _, d := range items {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Mutation, d.Value, d.Source)
		}
		return
	}
	fmt.Fprintln(tw, "MUTATION\tVALUE\tSOURCE\tCHANGED")
	for _, d := range items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", d.Mutation, d.Value, d.Source, d.Changed)
	}
}
