// Package app holds jobfit's commands. Each command takes its run function
// as a parameter, so that flag and config parsing can be tested without
// starting servers.
package app

import (
	"errors"

	"github.com/spf13/cobra"
)

// NewRootCommand returns the jobfit command with every subcommand.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "jobfit",
		Short:         "Place GitLab CI job pods on the right nodes, and keep the right nodes around",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(newMutateCommand(runMutate))
	root.AddCommand(newPolicyCommand(runValidate))
	root.AddCommand(newWebhookCommand(runWebhook))
	root.AddCommand(newVersionCommand())
	root.AddCommand(newScalerCommand(runScaler))
	root.AddCommand(newRunnerCommand(runRunnerLint))
	return root
}

// exitError carries a process exit code through cobra.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// ExitCode returns the exit code for an error returned by a command.
func ExitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}
