package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/nodeagent"
	"github.com/kubeshim/kubeshim/registry/apiserver"
	nodeauthorizer "github.com/kubeshim/kubeshim/registry/authorization/node"
)

// newUpCommand runs the one-node cluster: the server (with etcd,
// scheduler and controllers) and the agent in one process.
func newUpCommand() *cobra.Command {
	so := apiserver.NewOptions()
	// A kubeadm cluster accepts bootstrap tokens: so does this one. The
	// Secrets are in kube-system, which only an administrator can write.
	so.EnableBootstrapTokenAuth = true
	ao := nodeagent.NewOptions()
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run a one-node cluster on this host: the server and the agent",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := genericapiserver.SetupSignalContext()
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			if err := so.Complete(); err != nil {
				return err
			}
			config, err := so.Config(ctx)
			if err != nil {
				return err
			}
			ao.DataDir = so.DataDir
			if err := ao.Complete(); err != nil {
				return err
			}
			// The agent is a node, not an administrator: it reaches what
			// the Node authorizer and NodeRestriction let its node reach.
			ao.Kubeconfig = so.NodeKubeconfigPath()
			if err := apiserver.WriteUserKubeconfig(config, ao.Kubeconfig, "node-"+ao.NodeName,
				nodeauthorizer.NodeUserPrefix+ao.NodeName, []string{user.NodesGroup}); err != nil {
				return fmt.Errorf("node kubeconfig: %w", err)
			}
			server, err := config.Complete().New()
			if err != nil {
				return err
			}
			serverErr := make(chan error, 1)
			go func() { serverErr <- server.Run(ctx) }()

			if err := ao.Validate(); err != nil {
				return err
			}
			if err := waitReady(ctx, so.KubeconfigPath(), serverErr); err != nil {
				return err
			}
			aconfig, err := ao.Config()
			if err != nil {
				return err
			}
			agent, err := nodeagent.New(ctx, aconfig)
			if err != nil {
				cancel()
				<-serverErr
				return err
			}
			agentErr := make(chan error, 1)
			go func() { agentErr <- agent.Run(ctx) }()
			fmt.Fprintf(cmd.OutOrStdout(), "kubeshim is up. Use it with:\n  export KUBECONFIG=%s\n  kubectl get nodes\n", so.KubeconfigPath())
			select {
			case err = <-serverErr:
				cancel()
				<-agentErr
			case err = <-agentErr:
				// The server outlives the agent by a little: stop both.
				cancel()
				err = errors.Join(err, <-serverErr)
			}
			return err
		},
	}
	so.AddFlags(cmd.Flags())
	// The agent's flags, without those the server already has.
	afs := cmd.Flags()
	afs.StringVar(&ao.NodeName, "node-name", ao.NodeName, "Name of the node (default: the hostname).")
	afs.StringVar(&ao.ContainerdAddress, "containerd-address", ao.ContainerdAddress, "containerd's socket.")
	afs.StringVar(&ao.ContainerdNamespace, "containerd-namespace", ao.ContainerdNamespace, "containerd namespace of the agent.")
	afs.StringVar(&ao.PodCIDR, "pod-cidr", ao.PodCIDR, "The node's pod subnet.")
	afs.IntVar(&ao.KubeletPort, "kubelet-port", ao.KubeletPort, "Port of the kubelet API.")
	afs.StringSliceVar(&ao.CNIBinDirs, "cni-bin-dir", ao.CNIBinDirs, "Directories of the CNI plugins.")
	afs.StringVar(&ao.PauseBinary, "pause-binary", ao.PauseBinary, "The pause program (default: kubeshim-pause beside this binary).")
	nodeagent.AddDNSFlags(afs, ao)
	return cmd
}

// waitReady waits for the server's /readyz through the admin kubeconfig.
func waitReady(ctx context.Context, kubeconfig string, serverErr <-chan error) error {
	logger := klog.FromContext(ctx)
	for {
		select {
		case err := <-serverErr:
			return fmt.Errorf("server stopped: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			continue
		}
		client, err := kubernetes.NewForConfig(rc)
		if err != nil {
			continue
		}
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			logger.V(2).Info("Server ready")
			return nil
		}
	}
}
