package app

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/cmd/internal/explain"
	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Verdicts of kubectl jobfit explain: what happened to the pod at admission.
const (
	// VerdictMutated: the pod carries jobfit.dev/applied.
	VerdictMutated = "mutated"
	// VerdictNotSent: the webhook configuration does not send the pod to
	// jobfit (namespace not opted in, pod excluded, no configuration).
	VerdictNotSent = "not-sent"
	// VerdictNotJobPod: not a GitLab Runner job pod.
	VerdictNotJobPod = "not-a-job-pod"
	// VerdictSkipped: today's policy leaves the pod alone (selector, opt-out).
	VerdictSkipped = "skipped-by-policy"
	// VerdictNotMutated: jobfit would mutate the pod, but it has no record:
	// the webhook failed open, or was not ready, when the pod was created.
	VerdictNotMutated = "not-mutated"
)

// Explanation is what kubectl jobfit explain found out about a pod.
type Explanation struct {
	Pod     string `json:"pod"`
	Verdict string `json:"verdict"`
	Why     string `json:"why"`
	// Applied is the pod's jobfit.dev/applied record: what jobfit decided
	// at admission, and from which source.
	Applied *policy.Record `json:"applied,omitempty"`
	// Today is what the policy in the ConfigMaps now decides for the live
	// pod; nil when there is no valid policy.
	Today *Today   `json:"today,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// Today is policy.Apply of the current policy on the live pod.
type Today struct {
	Policy string `json:"policy"`
	Hash   string `json:"hash"`
	// SamePolicy is true when Hash is the hash in the pod's record.
	SamePolicy bool              `json:"samePolicy"`
	Skipped    bool              `json:"skipped,omitempty"`
	Reason     string            `json:"reason"`
	Decisions  []policy.Decision `json:"decisions,omitempty"`
	// Differences are the mutations whose values differ from the record.
	Differences []Difference `json:"differences,omitempty"`
	Warnings    []string     `json:"warnings,omitempty"`

	dec policy.Decisions
}

// Difference is one mutation decided differently today.
type Difference struct {
	Mutation string `json:"mutation"`
	Applied  string `json:"applied"`
	Today    string `json:"today"`
}

func newExplainCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use:   "explain POD",
		Short: "Show what jobfit decided for a live pod and why, and whether today's policy agrees",
		Example: `  kubectl jobfit explain -n gitlab-runner runner-zx8kqw2nv-project-4711-concurrent-0-abcd1234
  kubectl jobfit explain -n gitlab-runner runner-... -o yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ns, c, err := o.connect()
			if err != nil {
				return err
			}
			e, err := Explain(cmd.Context(), c, o.JobfitNamespace, o.WebhookConfig, client.ObjectKey{Namespace: ns, Name: args[0]})
			if err != nil {
				return err
			}
			return o.render(e, e.write)
		},
	}
}

// Explain reads the pod, its namespace, the webhook configuration, the
// policies, the capacity status and the image platforms, and says what
// jobfit did to the pod.
func Explain(ctx context.Context, c client.Client, jobfitNS, webhookConfig string, key client.ObjectKey) (*Explanation, error) {
	pod := &corev1.Pod{}
	if err := c.Get(ctx, key, pod); err != nil {
		return nil, fmt.Errorf("reading pod %s: %w", key, err)
	}
	ns := &corev1.Namespace{}
	if err := c.Get(ctx, client.ObjectKey{Name: key.Namespace}, ns); err != nil {
		return nil, fmt.Errorf("reading namespace %s: %w", key.Namespace, err)
	}
	mwc, err := readWebhookConfig(ctx, c, webhookConfig)
	if err != nil {
		return nil, err
	}
	pols, err := loadPolicies(ctx, c, jobfitNS, key.Namespace)
	if err != nil {
		return nil, err
	}
	e := &Explanation{Pod: key.String(), Notes: pols.problems}
	status, _, err := capacityStatus(ctx, c, jobfitNS)
	if err != nil {
		e.Notes = append(e.Notes, "capacity status ignored: "+err.Error())
	}
	if pols.effective != nil {
		images, err := imagePlatforms(ctx, c, jobfitNS)
		if err != nil {
			e.Notes = append(e.Notes, "image platforms ignored: "+err.Error())
		}
		e.Today = today(pod, pols.effective, policy.Cluster{Status: status, Images: images, Refs: explain.NewLiveReferences(c, jobfitNS)})
		if pols.effective.Arch.FromImages {
			e.Notes = append(e.Notes, imagesNote(pod, pols.effective, images))
		}
	}
	notSent, err := selection(mwc, ns, pod)
	if err != nil {
		return nil, err
	}
	if rec, ok := policy.ReadRecord(pod.Annotations); ok {
		e.mutated(rec, notSent)
		return e, nil
	}
	e.notMutated(pod, notSent, pols.effective != nil)
	return e, nil
}

// today applies today's policy to the live pod with what the webhook
// would see: the capacity status, the image platforms, and which objects
// the policy names exist (and whether its scheduler runs), read live.
func today(pod *corev1.Pod, p *policy.Policy, cluster policy.Cluster) *Today {
	var dec policy.Decisions
	if policy.IsPausePod(pod) {
		_, dec = policy.ApplyPausePod(pod, p, cluster.Status, pod.Name)
	} else {
		_, dec = policy.ApplyInCluster(pod, p, cluster)
	}
	return &Today{Policy: dec.Policy, Hash: dec.Hash, Skipped: dec.Skipped, Reason: dec.Reason,
		Decisions: dec.Items, Warnings: dec.Warnings, dec: dec}
}

func (e *Explanation) mutated(rec policy.Record, notSent string) {
	e.Verdict, e.Applied = VerdictMutated, &rec
	e.Why = fmt.Sprintf("jobfit mutated it at admission with policy %s (hash %s)", rec.Policy, rec.Hash)
	if notSent != "" {
		e.Notes = append(e.Notes, "the webhook configuration would not send this pod to jobfit today: "+notSent)
	}
	if e.Today == nil {
		return
	}
	e.Today.SamePolicy = e.Today.Hash == rec.Hash
	e.Today.Differences = differences(rec.Decisions, e.Today.Decisions)
	switch {
	case e.Today.Skipped:
		e.Notes = append(e.Notes, "today's policy would leave this pod alone: "+e.Today.Reason)
	case len(e.Today.Differences) > 0:
		e.Notes = append(e.Notes, fmt.Sprintf("today's policy %s (hash %s) decides differently", e.Today.Policy, e.Today.Hash))
	case !e.Today.SamePolicy:
		e.Notes = append(e.Notes, fmt.Sprintf("the policy changed since admission (hash %s now), but decides the same for this pod", e.Today.Hash))
	}
}

func (e *Explanation) notMutated(pod *corev1.Pod, notSent string, havePolicy bool) {
	jobPod, reason := policy.IsJobPod(pod)
	jobPod = jobPod || policy.IsPausePod(pod)
	switch {
	case notSent != "":
		e.Verdict, e.Why = VerdictNotSent, "the webhook configuration does not send this pod to jobfit: "+notSent
	case !jobPod:
		e.Verdict, e.Why = VerdictNotJobPod, "not a GitLab Runner job pod: "+reason
	case e.Today != nil && e.Today.Skipped:
		e.Verdict, e.Why = VerdictSkipped, "the policy leaves it alone: "+e.Today.Reason
	default:
		e.Verdict = VerdictNotMutated
		e.Why = "no " + v1alpha1.AppliedAnnotation + " record, though jobfit selects this pod: the webhook failed open " +
			"(unreachable, timed out or failed; see apiserver_admission_webhook_fail_open_count and " +
			"jobfit_admission_requests_total{result=\"error\"}), had no valid policy yet, or the pod was created " +
			"before its namespace was opted in"
		if !havePolicy {
			e.Why = "no " + v1alpha1.AppliedAnnotation + " record, and there is no valid policy to apply"
		}
	}
}

// differences compares the record with today's decisions, mutation by
// mutation: a mutation may have one decision per container.
func differences(applied, now []policy.Decision) []Difference {
	values := func(ds []policy.Decision) map[string]string {
		m := map[string][]string{}
		for _, d := range ds {
			m[d.Mutation] = append(m[d.Mutation], d.Value)
		}
		out := map[string]string{}
		for k, v := range m {
			slices.Sort(v)
			out[k] = strings.Join(v, ", ")
		}
		return out
	}
	a, n := values(applied), values(now)
	var diffs []Difference
	for _, k := range sortedUnion(a, n) {
		// Filled at admission, such a mutation has no decision on the live
		// pod today: its absence is not a difference.
		if _, decided := n[k]; !decided && policy.RecordedOnlyWhenChanged(k) {
			continue
		}
		if a[k] != n[k] {
			diffs = append(diffs, Difference{Mutation: k, Applied: a[k], Today: n[k]})
		}
	}
	return diffs
}

func sortedUnion(a, b map[string]string) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// write prints the explanation as text; the decision tables are those of
// `jobfit mutate -o explain`.
func (e *Explanation) write(w io.Writer) error {
	fmt.Fprintf(w, "pod %s: %s\n  %s\n", e.Pod, e.Verdict, e.Why)
	if e.Applied != nil {
		fmt.Fprintf(w, "\napplied at admission (%s): policy %s (hash %s)\n", v1alpha1.AppliedAnnotation, e.Applied.Policy, e.Applied.Hash)
		if err := explain.WriteDecisions(w, e.Applied.Decisions); err != nil {
			return err
		}
	}
	if e.Today != nil {
		fmt.Fprintln(w, "\ntoday's policy on the live pod (CHANGED: would change the pod now):")
		pod := &corev1.Pod{}
		pod.Namespace, pod.Name, _ = strings.Cut(e.Pod, "/")
		if err := explain.Write(w, pod, e.Today.dec); err != nil {
			return err
		}
		for _, d := range e.Today.Differences {
			fmt.Fprintf(w, "differs: %s: applied %q, today %q\n", d.Mutation, d.Applied, d.Today)
		}
	}
	for _, n := range e.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}
