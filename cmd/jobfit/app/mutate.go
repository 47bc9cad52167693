package app

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"gomodules.xyz/jsonpatch/v2"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/cmd/internal/explain"
	"jobfit.dev/jobfit/policy"
	"jobfit.dev/jobfit/webhook"
)

// MutateOptions are the flags of `jobfit mutate`.
type MutateOptions struct {
	PolicyFile string
	PodFile    string
	StatusFile string
	// ImagesFile is the image-platform cache to preview arch.fromImages with.
	ImagesFile string
	Namespace  string
	Output     string
	In         io.Reader
	Out        io.Writer
}

var outputs = []string{"yaml", "json", "patch", "explain"}

func newMutateCommand(run func(*MutateOptions) error) *cobra.Command {
	o := &MutateOptions{}
	cmd := &cobra.Command{
		Use:   "mutate --policy FILE [-f POD.yaml|-] [-o yaml|json|patch|explain]",
		Short: "Preview offline what the webhook does to a job pod",
		Long: `Apply a policy to a pod, as the webhook would, and print the mutated pod,
the JSON patch, or the decisions with the source of each.

--policy takes a bare Policy document or a ConfigMap that carries one under
data["policy.yaml"]. --capacity-status takes the jobfit-capacity-status
ConfigMap, to preview the spot fallback. --image-platforms takes a JSON
object of image reference to its platforms ({"maven:3.9": ["linux/amd64",
"linux/arm64/v8"]}), or the jobfit-image-platforms ConfigMap that holds
one, to preview arch.fromImages.`,
		Example: `  jobfit mutate --policy manifests/examples/policies/eks-karpenter.yaml -f job-pod.yaml -o explain
  kubectl get pod runner-abc -o yaml | jobfit mutate --policy policy.yaml -o patch
  jobfit mutate --policy policy.yaml --image-platforms platforms.json -f job-pod.yaml -o explain`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.In, o.Out = cmd.InOrStdin(), cmd.OutOrStdout()
			if err := o.Validate(); err != nil {
				return err
			}
			return run(o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.PolicyFile, "policy", "", "policy file: a Policy document or a ConfigMap carrying one (required)")
	f.StringVarP(&o.PodFile, "filename", "f", "-", "pod YAML or JSON; - reads standard input")
	f.StringVar(&o.StatusFile, "capacity-status", "", "the jobfit-capacity-status ConfigMap (optional)")
	f.StringVar(&o.ImagesFile, "image-platforms", "", "image platforms: a JSON object of image to [\"os/arch\", ...] or the jobfit-image-platforms ConfigMap (optional)")
	f.StringVarP(&o.Namespace, "namespace", "n", "", "namespace the pod is created in, when its metadata.namespace is empty (as in the webhook's request)")
	f.StringVarP(&o.Output, "output", "o", "yaml", "output format: yaml, json, patch or explain")
	return cmd
}

// Validate checks the flags before anything is read.
func (o *MutateOptions) Validate() error {
	if o.PolicyFile == "" {
		return fmt.Errorf("--policy is required")
	}
	for _, v := range outputs {
		if o.Output == v {
			return nil
		}
	}
	return fmt.Errorf("--output %q: must be one of %v", o.Output, outputs)
}

func runMutate(o *MutateOptions) error {
	p, err := loadPolicyFile(o.PolicyFile)
	if err != nil {
		return err
	}
	status, err := loadStatusFile(o.StatusFile)
	if err != nil {
		return err
	}
	images, err := loadImagesFile(o.ImagesFile)
	if err != nil {
		return err
	}
	raw, err := readInput(o.PodFile, o.In)
	if err != nil {
		return err
	}
	// Decoded as kubectl and the API server would: a pod the cluster would
	// refuse is refused here too, rather than previewed.
	pod, err := policy.DecodePod(raw)
	if err != nil {
		return fmt.Errorf("reading pod %s: %w", o.PodFile, err)
	}
	if pod.Namespace != "" && o.Namespace != "" && pod.Namespace != o.Namespace {
		return fmt.Errorf("--namespace %q: the pod's metadata.namespace is %q", o.Namespace, pod.Namespace)
	}
	// The webhook's own admission path, so that every output shows what
	// the webhook would do, and -o patch is byte for byte its patch.
	res, err := webhook.Admit(pod, o.Namespace, p, policy.Cluster{Status: status, Images: images})
	if err != nil {
		return fmt.Errorf("admitting pod %s: %w", o.PodFile, err)
	}
	return writeMutation(o.Out, o.Output, res)
}

func writeMutation(w io.Writer, format string, res webhook.Result) error {
	out := res.Pod
	switch format {
	case "json":
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	case "patch":
		return writePatch(w, res.Patch)
	case "explain":
		return explain.Write(w, out, res.Decisions)
	}
	b, err := yaml.Marshal(out)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// writePatch prints the JSON patch the webhook would answer with, as
// indented JSON; an empty patch (pod skipped or unchanged) prints [].
func writePatch(w io.Writer, ops []jsonpatch.JsonPatchOperation) error {
	if ops == nil {
		ops = []jsonpatch.JsonPatchOperation{}
	}
	js, err := json.MarshalIndent(ops, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding patch: %w", err)
	}
	_, err = fmt.Fprintln(w, string(js))
	return err
}

func readInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return b, nil
}
