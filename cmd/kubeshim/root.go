package main

import (
	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:          "kubeshim",
		Short:        "A light Kubernetes: the real Kubernetes API over plain Linux hosts",
		SilenceUsage: true,
	}
	cmd.AddCommand(newServerCommand(), newAgentCommand(), newUpCommand(), newResetCommand(), newKubeconfigCommand(), newSchedulerCommand(), newControllersCommand(), newProxyCommand(), newImageCommand(), newVersionCommand())
	return cmd
}
