package app

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"jobfit.dev/jobfit/cmd/jobfit/runnerlint"
	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
)

// Doctor is what kubectl jobfit doctor shows: the runner configs of a
// namespace, linted under the policy jobfit uses there.
type Doctor struct {
	Namespace string `json:"namespace"`
	// Injected says the namespace is labelled jobfit.dev/inject=enabled.
	Injected bool `json:"injected"`
	// Policy is the policy in force for the namespace ("" when none is:
	// the checks that need one are skipped, and Problems says why).
	Policy   string         `json:"policy,omitempty"`
	Runners  []RunnerConfig `json:"runners"`
	Problems []string       `json:"problems,omitempty"`
}

// RunnerConfig is one runner ConfigMap and what the linter found in it.
type RunnerConfig struct {
	ConfigMap string               `json:"configMap"`
	Key       string               `json:"key"`
	Findings  []runnerlint.Finding `json:"findings"`
	Error     string               `json:"error,omitempty"`
}

func newDoctorCommand(o *Options) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "doctor [--configmap NAME]",
		Short: "Lint the GitLab Runner config in the namespace's ConfigMaps under the policy jobfit uses there",
		Long: `Read the runner's config (data["config.template.toml"] of the gitlab-runner Helm chart's
ConfigMap, or data["config.toml"]) from the namespace (-n), and report every setting that
defeats or duplicates jobfit, as jobfit runner lint does, under the cluster policy merged
with the namespace's own. Exits 1 when a finding is an error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ns, c, err := o.connect()
			if err != nil {
				return err
			}
			d, err := GetDoctor(cmd.Context(), c, o.JobfitNamespace, ns, name)
			if err != nil {
				return err
			}
			if err := o.render(d, d.write); err != nil {
				return err
			}
			if n := d.errors(); n > 0 {
				return fmt.Errorf("%d runner settings defeat jobfit", n)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "configmap", "", "the runner's ConfigMap (default: every ConfigMap of the namespace that carries a runner config)")
	return cmd
}

// GetDoctor lints the runner ConfigMaps of namespace (only name, when set).
func GetDoctor(ctx context.Context, c client.Client, jobfitNS, namespace, name string) (*Doctor, error) {
	d := &Doctor{Namespace: namespace, Runners: []RunnerConfig{}}
	var ns corev1.Namespace
	if err := c.Get(ctx, types.NamespacedName{Name: namespace}, &ns); err != nil {
		return nil, fmt.Errorf("reading namespace %s: %w", namespace, err)
	}
	d.Injected = ns.Labels[v1alpha1.InjectLabel] == v1alpha1.InjectEnabled
	if !d.Injected {
		d.Problems = append(d.Problems, fmt.Sprintf("namespace %s is not labelled %s=%s: the webhook does not see its job pods", namespace, v1alpha1.InjectLabel, v1alpha1.InjectEnabled))
	}
	p, why, err := policyFor(ctx, c, jobfitNS, namespace)
	if err != nil {
		return nil, err
	}
	if p == nil {
		d.Problems = append(d.Problems, "no policy in force ("+why+"): only the checks that need no policy ran")
	} else {
		d.Policy = p.Name()
	}
	cms, err := runnerConfigMaps(ctx, c, namespace, name)
	if err != nil {
		return nil, err
	}
	for i := range cms {
		d.Runners = append(d.Runners, lintConfigMap(&cms[i], p))
	}
	if len(cms) == 0 {
		d.Problems = append(d.Problems, fmt.Sprintf("no ConfigMap in %s carries a runner config (data[%q] or data[%q])", namespace, runnerlint.ConfigMapKeys[0], runnerlint.ConfigMapKeys[1]))
	}
	return d, nil
}

// policyFor returns the policy the webhook uses for namespace: the
// namespace's own merged with the cluster's, or the cluster's.
func policyFor(ctx context.Context, c client.Client, jobfitNS, namespace string) (*policy.Policy, string, error) {
	cands, err := candidates(ctx, c, jobfitNS, v1alpha1.PolicyKindCluster, loadCluster)
	if err != nil {
		return nil, "", err
	}
	cluster, why := inForce(cands)
	if cluster == nil {
		if why == "" {
			why = "no ConfigMap labelled " + v1alpha1.PolicyLabel + "=" + v1alpha1.PolicyKindCluster + " in " + jobfitNS
		}
		return nil, why, nil
	}
	nsCands, err := candidates(ctx, c, namespace, v1alpha1.PolicyKindNamespace, mergeWith(cluster.Policy))
	if err != nil {
		return nil, "", err
	}
	if own, _ := inForce(nsCands); own != nil {
		return own.Policy, "", nil
	}
	return cluster.Policy, "", nil
}

func runnerConfigMaps(ctx context.Context, c client.Client, namespace, name string) ([]corev1.ConfigMap, error) {
	if name != "" {
		var cm corev1.ConfigMap
		if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &cm); err != nil {
			return nil, fmt.Errorf("reading configmap %s/%s: %w", namespace, name, err)
		}
		return []corev1.ConfigMap{cm}, nil
	}
	var list corev1.ConfigMapList
	if err := c.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing configmaps in %s: %w", namespace, err)
	}
	var out []corev1.ConfigMap
	for _, cm := range list.Items {
		if runnerKey(&cm) != "" {
			out = append(out, cm)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func runnerKey(cm *corev1.ConfigMap) string {
	for _, k := range runnerlint.ConfigMapKeys {
		if _, ok := cm.Data[k]; ok {
			return k
		}
	}
	return ""
}

func lintConfigMap(cm *corev1.ConfigMap, p *policy.Policy) RunnerConfig {
	r := RunnerConfig{ConfigMap: cm.Name, Key: runnerKey(cm), Findings: []runnerlint.Finding{}}
	if r.Key == "" {
		r.Error = fmt.Sprintf("no runner config under data[%q] or data[%q]", runnerlint.ConfigMapKeys[0], runnerlint.ConfigMapKeys[1])
		return r
	}
	fs, err := runnerlint.Lint([]byte(cm.Data[r.Key]), p)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Findings = fs
	return r
}

func (d *Doctor) errors() int {
	n := 0
	for _, r := range d.Runners {
		n += runnerlint.Errors(r.Findings)
		if r.Error != "" {
			n++
		}
	}
	return n
}

func (d *Doctor) write(w io.Writer) error {
	fmt.Fprintf(w, "namespace %s: injection %s, policy %s\n", d.Namespace, map[bool]string{true: "enabled", false: "NOT enabled"}[d.Injected], dash(d.Policy))
	for _, r := range d.Runners {
		where := "configmap/" + r.ConfigMap + " data[" + r.Key + "]"
		if r.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", where, r.Error)
			continue
		}
		runnerlint.WriteText(w, where, "", r.Findings)
	}
	for _, p := range d.Problems {
		fmt.Fprintf(w, "problem: %s\n", p)
	}
	return nil
}
