package main

import (
	"errors"

	"github.com/spf13/cobra"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	genericapiserver "k8s.io/apiserver/pkg/server"

	"github.com/kubeshim/kubeshim/scheduler"
)

func newSchedulerCommand() *cobra.Command {
	o := scheduler.NewOptions()
	cmd := &cobra.Command{
		Use:   "scheduler",
		Short: "Run the scheduler alone, against any API server",
		Long: "Run the scheduler alone: it places the pods whose spec.schedulerName is --scheduler-name " +
			"on nodes, talking to the API server --kubeconfig names, and with --leader-elect (the default) " +
			"only while it holds the Lease kube-system/kube-scheduler, so several can run.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// SIGTERM and SIGINT cancel the context; a second signal exits at once.
			ctx := genericapiserver.SetupSignalContext()
			if errs := o.Validate(); len(errs) > 0 {
				return utilerrors.NewAggregate(errs)
			}
			config, err := o.Config(nil)
			if err != nil {
				return err
			}
			s, err := scheduler.New(ctx, config)
			if err != nil {
				return err
			}
			if err := s.Run(ctx); err != nil && !errors.Is(err, ctx.Err()) {
				return err
			}
			return nil
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
