package main

import (
	"errors"

	"github.com/spf13/cobra"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/kubeshim/kubeshim/controllers"
)

func newControllersCommand() *cobra.Command {
	o := controllers.NewOptions()
	cmd := &cobra.Command{
		Use:   "controllers",
		Short: "Run the controllers alone, against any API server",
		Long: "Run the controllers (deployments, jobs, garbage collection, endpoints, node lifecycle, ...) " +
			"alone, talking to the API server --kubeconfig names, and with --leader-elect (the default) only " +
			"while holding the Lease kube-system/kube-controller-manager, so several can run. Start the " +
			"server with --disable=controllers when the controllers run this way.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// SIGTERM and SIGINT cancel the context; a second signal exits at once.
			ctx := genericapiserver.SetupSignalContext()
			if errs := o.Validate(); len(errs) > 0 {
				return utilerrors.NewAggregate(errs)
			}
			config, le, err := o.Config(nil, nil)
			if err != nil {
				return err
			}
			if err := controllers.RunLeaderElected(ctx, config, le); err != nil && !errors.Is(err, ctx.Err()) {
				return err
			}
			return nil
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
