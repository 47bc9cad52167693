// Command kubectl-jobfit is the kubectl plugin `kubectl jobfit`: it shows
// what jobfit decided for a live pod and why (explain), and whether jobfit
// is in place and healthy (status). Install it on PATH as kubectl-jobfit.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"jobfit.dev/jobfit/cmd/kubectl-jobfit/app"
)

func main() {
	if err := app.NewCommand(genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}).Execute(); err != nil {
		os.Exit(1)
	}
}
