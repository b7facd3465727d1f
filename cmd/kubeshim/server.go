package main

import (
	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/kubeshim/kubeshim/registry/apiserver"
)

func newServerCommand() *cobra.Command {
	o := apiserver.NewOptions()
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the API server with embedded etcd",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// SIGTERM and SIGINT cancel the context; a second signal exits at once.
			ctx := genericapiserver.SetupSignalContext()
			if err := o.Complete(); err != nil {
				return err
			}
			config, err := o.Config(ctx)
			if err != nil {
				return err
			}
			server, err := config.Complete().New()
			if err != nil {
				return err
			}
			return server.Run(ctx)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
