package app

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// write prints the status as text.
func (s *Status) write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "POLICY\tCONFIGMAP\tUSED\tNAME\tHASH\tLAST LOADED\tLAST REJECTED\n")
	for _, p := range s.Policies {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Kind, dash(p.ConfigMap), yesNo(p.InForce), dash(p.Name), dash(p.Hash),
			eventText(p.LastLoaded), eventText(p.LastRejected))
	}
	fmt.Fprintf(tw, "\nwebhook configuration %s: %s\n", s.Webhook.Name, present(s.Webhook.Exists))
	for _, ca := range s.Webhook.CAs {
		fmt.Fprintf(tw, "  %s: CA %q valid %s to %s\n", ca.Webhook, ca.Subject, ca.NotBefore.Format(time.RFC3339), ca.NotAfter.Format(time.RFC3339))
	}
	fmt.Fprintln(tw, "\ncapacity ("+s.Namespace+"/jobfit-capacity-status):")
	if len(s.Capacity.Degraded) == 0 {
		fmt.Fprintln(tw, "  nothing degraded: every arch may use spot")
	}
	for _, d := range s.Capacity.Degraded {
		fmt.Fprintf(tw, "  %s %s degraded since %s: %s\n", d.Arch, d.CapacityType, d.Since.UTC().Format(time.RFC3339), d.Reason)
	}
	for _, nc := range s.Capacity.NodeClassesNotReady {
		fmt.Fprintf(tw, "  node class %s not Ready (NodePools %s): %s %s\n", nc.Name, strings.Join(nc.NodePools, ", "), nc.Reason, nc.Message)
	}
	if sc := s.Scheduler; sc != nil {
		fmt.Fprintf(tw, "\nscheduler %s (Lease %s): %s", sc.Name, sc.Lease, map[bool]string{true: "running", false: "not running"}[sc.Running])
		if sc.Holder != "" {
			fmt.Fprintf(tw, ", held by %s", sc.Holder)
		}
		if sc.Renewed != nil {
			fmt.Fprintf(tw, ", renewed %s", sc.Renewed.UTC().Format(time.RFC3339))
		}
		fmt.Fprintln(tw)
	}
	if s.Scaler == nil {
		fmt.Fprintln(tw, "\nscaler: no ScalerPolicy ConfigMap (labelled jobfit.dev/policy=scaler): nothing is managed")
	} else {
		s.Scaler.write(tw)
	}
	if len(s.BlockedByVolume) > 0 {
		fmt.Fprintf(tw, "\nJOB POD WAITING FOR A VOLUME\tSINCE\tCAUSE\n")
		for _, b := range s.BlockedByVolume {
			fmt.Fprintf(tw, "%s/%s\t%s\t%s\n", b.Namespace, b.Pod, b.Since.UTC().Format(time.RFC3339), b.Message)
		}
	}
	if len(s.Problems) > 0 {
		fmt.Fprintln(tw, "\nproblems:")
		for _, p := range s.Problems {
			fmt.Fprintf(tw, "  - %s\n", p)
		}
	}
	return tw.Flush()
}

func (s *ScalerStatus) write(tw *tabwriter.Writer) {
	fmt.Fprintf(tw, "\nscaler policy %s (%s), dry run %v", dash(s.Name), s.ConfigMap, s.DryRun)
	if s.LastRejected != nil {
		fmt.Fprintf(tw, ", last rejected %s", eventText(s.LastRejected))
	}
	fmt.Fprintln(tw)
	if s.Error != "" {
		fmt.Fprintf(tw, "  invalid: %s\n", s.Error)
		return
	}
	fmt.Fprintf(tw, "NODEPOOL\tROLE\tWEIGHT\tCONSOLIDATE AFTER\tLIMITS\tFLOOR\tCEILING\tAT CEILING\n")
	for _, np := range s.NodePools {
		if !np.Found {
			fmt.Fprintf(tw, "%s\t%s\tnot found\t\t\t%s\t%s\t\n", np.Name, np.Role, kv(np.Floor), kv(np.Ceiling))
			continue
		}
		weight := "-"
		if np.Weight != nil {
			weight = fmt.Sprint(*np.Weight)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", np.Name, np.Role, weight, dash(np.ConsolidateAfter),
			kv(np.Limits), kv(np.Floor), kv(np.Ceiling), dash(strings.Join(np.AtCeiling, ",")))
	}
	fmt.Fprintf(tw, "\nHEADROOM ARCH\tMIN\tMAX\tSCHEDULED MIN\tPLACEHOLDERS\tRUNNING\tPENDING\n")
	for _, h := range s.Headroom {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\n", h.Arch, h.Min, h.Max, h.ScheduledMin, h.Placeholders, h.Running, h.Pending)
	}
}

func eventText(e *EventInfo) string {
	if e == nil {
		return "-"
	}
	return e.Time.Format(time.RFC3339) + " " + e.Message
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func present(ok bool) string {
	if ok {
		return "present"
	}
	return "MISSING"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func kv(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}
