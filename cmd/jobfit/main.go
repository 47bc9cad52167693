// Command jobfit places GitLab CI job pods on the right Kubernetes nodes
// (the webhook) and keeps the right nodes around for them (the scaler).
package main

import (
	"os"

	"jobfit.dev/jobfit/cmd/jobfit/app"
)

func main() {
	if err := app.NewRootCommand().Execute(); err != nil {
		os.Exit(app.ExitCode(err))
	}
}
