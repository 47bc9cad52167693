package app

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/policy/api/v1alpha1"
	"jobfit.dev/jobfit/policy/yamldoc"
	"jobfit.dev/jobfit/scaler/config"
)

// ValidateOptions are the arguments of `jobfit policy validate`.
type ValidateOptions struct {
	Files []string
	Out   io.Writer
	// Cluster checks the objects each Policy names against the cluster of
	// the current kubeconfig context; Namespace is where cache claims
	// without placeholders are looked for.
	Cluster   bool
	Namespace string
	// Refs answers the cluster checks; set from the kubeconfig when Cluster
	// is set and Refs is nil.
	Refs policy.References
}

func newPolicyCommand(run func(*ValidateOptions) error) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Work with jobfit policy documents"}
	o := &ValidateOptions{}
	validate := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Validate policy files; prints FILE: field.path: message per problem and exits 1 on any",
		Long: `Validate Policy and ScalerPolicy documents, bare or carried by ConfigMaps under
data["policy.yaml"]. A file may hold several YAML documents.

With --cluster, also check the objects a Policy names against the cluster of the
current kubeconfig context: its scheduling.priorityClassName and
allowedPriorityClassNames, and (with -n) the claims of caches whose claimName has no
placeholder. A missing one is a warning, not a problem: the webhook admits pods
without it until it exists.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Files, o.Out = args, cmd.OutOrStdout()
			return run(o)
		},
	}
	validate.Flags().BoolVar(&o.Cluster, "cluster", false, "also check the PriorityClasses and claims a Policy names against the current cluster")
	validate.Flags().StringVarP(&o.Namespace, "namespace", "n", "", "with --cluster: the runner namespace to look for cache claims in")
	cmd.AddCommand(validate)
	return cmd
}

func runValidate(o *ValidateOptions) error {
	if o.Cluster && o.Refs == nil {
		refs, err := newLiveReferences()
		if err != nil {
			return err
		}
		o.Refs = refs
	}
	if !o.Cluster {
		o.Refs = nil
	}
	failed := 0
	for _, file := range o.Files {
		failed += validateFile(o.Out, file, o.Refs, o.Namespace)
	}
	if failed > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d files have problems", failed, len(o.Files))}
	}
	return nil
}

// validateFile prints one line per problem (or one "ok" line per document)
// and returns 1 when the file has problems.
func validateFile(w io.Writer, file string, refs policy.References, namespace string) int {
	raw, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(w, "%s: %v\n", file, err)
		return 1
	}
	docs, err := yamldoc.Split(raw)
	if err != nil {
		fmt.Fprintf(w, "%s: %v\n", file, err)
		return 1
	}
	bad := 0
	for i, doc := range docs {
		label := file
		if len(docs) > 1 {
			label = fmt.Sprintf("%s[%d]", file, i)
		}
		kind, name, p, errs := validateDocument(doc)
		if len(errs) > 0 {
			fmt.Fprintln(w, formatFieldErrors(label, errs))
			bad = 1
			continue
		}
		fmt.Fprintf(w, "%s: ok (%s %s)\n", label, kind, name)
		if p != nil && refs != nil {
			for _, m := range policy.CheckReferences(p, namespace, refs) {
				if m.Kind == policy.RefScheduler {
					fmt.Fprintf(w, "%s: warning: %s is not running in the cluster (no held Lease %s/%s); pods keep the default scheduler until it runs\n", label, m, defaultNamespace, m.Name)
					continue
				}
				fmt.Fprintf(w, "%s: warning: %s does not exist in the cluster; pods are admitted without it until it does\n", label, m)
			}
		}
	}
	return bad
}

// validateDocument dispatches on the document's kind; a valid Policy is
// returned too.
func validateDocument(doc []byte) (string, string, *policy.Policy, field.ErrorList) {
	d, errs := policy.ReadDocument(doc)
	if len(errs) > 0 {
		return "", "", nil, errs
	}
	switch d.Kind {
	case v1alpha1.KindPolicy:
		p, errs := policy.LoadDocument(d)
		if len(errs) > 0 {
			return d.Kind, d.Name, nil, errs
		}
		return d.Kind, p.Name(), p, nil
	case v1alpha1.KindScalerPolicy:
		// d.JSON is the bare document, already unwrapped from its ConfigMap.
		if _, errs := config.Load(d.JSON); len(errs) > 0 {
			return d.Kind, d.Name, nil, errs
		}
		return d.Kind, d.Name, nil, nil
	}
	return d.Kind, d.Name, nil, field.ErrorList{field.NotSupported(field.NewPath("kind"), d.Kind, []string{v1alpha1.KindPolicy, v1alpha1.KindScalerPolicy})}
}
