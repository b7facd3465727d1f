package main

import (
	"github.com/spf13/cobra"

	"github.com/kubeshim/kubeshim/nodeagent"
)

func newResetCommand() *cobra.Command {
	o := nodeagent.ResetOptions{
		DataDir:             "/var/lib/kubeshim",
		ContainerdAddress:   "/run/containerd/containerd.sock",
		ContainerdNamespace: "kubeshim",
	}
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Remove everything kubeshim made on this host: containers, networks, routes, iptables chains, the data dir (local-path volumes kept unless --delete-volumes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return nodeagent.Reset(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, "The data dir of the server and agent to remove.")
	fs.StringVar(&o.ContainerdAddress, "containerd-address", o.ContainerdAddress, "containerd's socket.")
	fs.StringVar(&o.ContainerdNamespace, "containerd-namespace", o.ContainerdNamespace, "The agent's containerd namespace.")
	fs.StringSliceVar(&o.CNIBinDirs, "cni-bin-dir", nil, "Directories of the CNI plugins.")
	fs.BoolVar(&o.KeepImages, "keep-images", false, "Keep the images (and the containerd namespace holding them).")
	fs.BoolVar(&o.DeleteVolumes, "delete-volumes", false, "Remove the local-path persistent volumes' data (<data-dir>/storage) too; by default it is kept.")
	return cmd
}
