package main

import (
	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/kubeshim/kubeshim/proxy"
)

func newProxyCommand() *cobra.Command {
	o := proxy.NewOptions()
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Run the service proxy alone: iptables rules for the cluster's services on this host",
		Long: "Run the service proxy alone (`kubeshim agent` runs it in-process): it programs this host's " +
			"iptables for the cluster IPs, node ports, external IPs and load balancer IPs of the services " +
			"of the API server --kubeconfig names. With --cleanup it removes every rule and chain it made and exits.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// SIGTERM and SIGINT cancel the context; a second signal exits at once.
			ctx := genericapiserver.SetupSignalContext()
			if o.Cleanup {
				return proxy.Cleanup(ctx)
			}
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
			p, err := proxy.New(config)
			if err != nil {
				return err
			}
			return p.Run(ctx)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
