// Package app holds the commands of kubectl-jobfit, the kubectl plugin.
// They read the live cluster through kubectl's own flags (kubeconfig,
// --context, -n) from k8s.io/cli-runtime, and judge what they read with the
// same code as the webhook and `jobfit mutate`.
package app

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"jobfit.dev/jobfit/webhook/certs"
)

// Namespaces of the shipped manifests.
const (
	// DefaultNamespace is jobfit's namespace.
	DefaultNamespace = "jobfit-system"
	// DefaultHeadroomNamespace holds the scaler's headroom placeholders.
	DefaultHeadroomNamespace = "jobfit-headroom"
)

// Options are the flags every kubectl jobfit command shares.
type Options struct {
	// Kube are kubectl's flags: --kubeconfig, --context, -n and the rest.
	Kube *genericclioptions.ConfigFlags
	// JobfitNamespace is where jobfit runs: its cluster and scaler policies
	// and the capacity status live there.
	JobfitNamespace string
	// HeadroomNamespace holds the headroom placeholder pods.
	HeadroomNamespace string
	// WebhookConfig is the MutatingWebhookConfiguration's name.
	WebhookConfig string
	// Output is "" (text), yaml or json.
	Output string
	genericiooptions.IOStreams
}

// NewCommand returns the kubectl-jobfit command tree.
func NewCommand(streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{Kube: genericclioptions.NewConfigFlags(true), IOStreams: streams}
	cmd := &cobra.Command{
		Use:           "kubectl-jobfit",
		Short:         "Explain what jobfit did to a pod, and show whether jobfit is in place",
		SilenceUsage:  true,
		SilenceErrors: false,
		// kubectl shows plugins as "kubectl jobfit".
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl jobfit"},
	}
	cmd.SetIn(streams.In)
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	o.Kube.AddFlags(cmd.PersistentFlags())
	f := cmd.PersistentFlags()
	f.StringVar(&o.JobfitNamespace, "jobfit-namespace", DefaultNamespace, "the namespace jobfit runs in")
	f.StringVar(&o.HeadroomNamespace, "headroom-namespace", DefaultHeadroomNamespace, "the namespace of the scaler's headroom placeholder pods (the scaler's --headroom-namespace)")
	f.StringVar(&o.WebhookConfig, "webhook-configuration", certs.DefaultWebhookConfigName, "jobfit's MutatingWebhookConfiguration")
	f.StringVarP(&o.Output, "output", "o", "", "output format: yaml or json (default: text)")
	cmd.AddCommand(newExplainCommand(o), newStatusCommand(o), newDoctorCommand(o))
	return cmd
}

// validate checks the shared flags.
func (o *Options) validate() error {
	switch o.Output {
	case "", "yaml", "json":
		return nil
	}
	return fmt.Errorf("--output %q: must be yaml or json (or unset for text)", o.Output)
}

// client returns a client for the cluster kubectl's flags select.
func (o *Options) client() (client.Client, error) {
	cfg, err := o.Kube.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig: %w", err)
	}
	s, err := newScheme()
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, fmt.Errorf("creating client: %w", err)
	}
	return c, nil
}

// connect checks the shared flags and returns the namespace (-n, or the
// context's) and a client: what every command that reads a namespace does first.
func (o *Options) connect() (string, client.Client, error) {
	if err := o.validate(); err != nil {
		return "", nil, err
	}
	ns, err := o.namespace()
	if err != nil {
		return "", nil, err
	}
	c, err := o.client()
	return ns, c, err
}

// namespace is -n, or the kubeconfig context's namespace.
func (o *Options) namespace() (string, error) {
	ns, _, err := o.Kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("reading the namespace from kubeconfig: %w", err)
	}
	return ns, nil
}

// render writes v as YAML or JSON when -o asks for it, and calls text
// otherwise.
func (o *Options) render(v any, text func(io.Writer) error) error {
	switch o.Output {
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(o.Out, string(b))
		return err
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = o.Out.Write(b)
		return err
	}
	return text(o.Out)
}
