package main

import (
	"github.com/spf13/cobra"

	"github.com/kubeshim/kubeshim/registry/apiserver"
)

func newKubeconfigCommand() *cobra.Command {
	var dataDir, userName string
	var groups []string
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print a kubeconfig for a user, with a client certificate the cluster CA signs (run it on the server's host)",
		Long: "Print a kubeconfig for --user in --group, for the cluster whose server keeps its data in --data-dir. " +
			"For a node agent on another host: kubeshim kubeconfig --user system:node:<node name> --group system:nodes > node.kubeconfig, " +
			"then kubeshim agent --kubeconfig node.kubeconfig --node-name <node name> there.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := apiserver.UserKubeconfig(dataDir, userName, groups)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&dataDir, "data-dir", "/var/lib/kubeshim", "The server's data dir (its admin.kubeconfig and pki/ca.key).")
	fs.StringVar(&userName, "user", "", "The user the certificate names (its common name).")
	fs.StringSliceVar(&groups, "group", nil, "The user's groups (the certificate's organizations).")
	return cmd
}
