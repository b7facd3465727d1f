package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/spf13/cobra"

	"github.com/kubeshim/kubeshim/nodeagent/images"
	"github.com/kubeshim/kubeshim/nodeagent/images/oci"
)

// imageOptions are the flags of the image subcommands that talk to containerd.
type imageOptions struct {
	address   string
	namespace string
}

func (o *imageOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.address, "containerd-address", "/run/containerd/containerd.sock", "The containerd socket")
	cmd.Flags().StringVar(&o.namespace, "namespace", "kubeshim", "The containerd namespace of the images, the node agent's")
}

func (o *imageOptions) client() (*containerd.Client, error) {
	client, err := containerd.New(o.address)
	if err != nil {
		return nil, fmt.Errorf("connect to containerd at %s: %w", o.address, err)
	}
	return client, nil
}

func newImageCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Build images without a registry and import them into containerd",
	}
	cmd.AddCommand(newImageBuildCommand(), newImageImportCommand(), newImageEnsurePauseCommand())
	return cmd
}

func newImageBuildCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "build SPEC -o FILE.tar",
		Short: "Build an image archive from a spec file (see test/images)",
		Long: `Build an OCI image layout archive, which also loads with docker load, from a YAML
spec naming the image and the host files, ELF binaries (with their shared
libraries), directories and links it holds. The archive is written whole or
not at all.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := oci.LoadSpec(args[0])
			if err != nil {
				return err
			}
			img, err := spec.Image(cmd.Context())
			if err != nil {
				return fmt.Errorf("image spec %s: %w", args[0], err)
			}
			if err := writeFileAtomic(output, img.WriteArchive); err != nil {
				return fmt.Errorf("write %s: %w", output, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "built %s (%d paths)\n", output, len(img.Rootfs.Paths()))
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "The archive to write")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

// writeFileAtomic writes through write into a temporary file beside path
// and renames it over path once complete, so that a failed build leaves no
// archive that looks up to date.
func writeFileAtomic(path string, write func(w io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func newImageImportCommand() *cobra.Command {
	o := &imageOptions{}
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import image archives into containerd and unpack them",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := o.client()
			if err != nil {
				return err
			}
			defer client.Close()
			for _, file := range args {
				if err := importFile(cmd, client, o.namespace, file); err != nil {
					return err
				}
			}
			return nil
		},
	}
	o.addFlags(cmd)
	return cmd
}

func importFile(cmd *cobra.Command, client *containerd.Client, namespace, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	names, err := images.Import(cmd.Context(), client, namespace, f)
	if err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	for _, name := range names {
		fmt.Fprintf(cmd.OutOrStdout(), "imported %s into namespace %s\n", name, namespace)
	}
	return nil
}

func newImageEnsurePauseCommand() *cobra.Command {
	o := &imageOptions{}
	var pauseBinary string
	cmd := &cobra.Command{
		Use:   "ensure-pause",
		Short: "Make the pause image " + images.PauseImage + " from kubeshim-pause unless containerd has it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if pauseBinary == "" {
				var err error
				if pauseBinary, err = defaultPauseBinary(); err != nil {
					return err
				}
			}
			client, err := o.client()
			if err != nil {
				return err
			}
			defer client.Close()
			name, err := images.EnsurePause(cmd.Context(), client, o.namespace, pauseBinary)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is in namespace %s\n", name, o.namespace)
			return nil
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVar(&pauseBinary, "pause-binary", "", "The static pause program to make the image of (default: kubeshim-pause beside this binary)")
	return cmd
}

// defaultPauseBinary is kubeshim-pause in the directory of this executable,
// where hack/build.sh puts it.
func defaultPauseBinary() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the pause binary: %w", err)
	}
	return filepath.Join(filepath.Dir(self), "kubeshim-pause"), nil
}
