package main

import (
	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/kubeshim/kubeshim/nodeagent"
)

func newAgentCommand() *cobra.Command {
	o := nodeagent.NewOptions()
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run the node agent: pods on containerd, the node's status and the kubelet API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := genericapiserver.SetupSignalContext()
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			config, err := o.Config()
			if err != nil {
				return err
			}
			if o.Simulate > 0 {
				return nodeagent.RunSimulated(ctx, config)
			}
			agent, err := nodeagent.New(ctx, config)
			if err != nil {
				return err
			}
			return agent.Run(ctx)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
