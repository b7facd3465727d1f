package images

import (
	"bytes"
	"context"
	"fmt"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/nodeagent/images/oci"
)

// PauseImage is the sandbox image: the one kubelet 1.37 defaults to, so that
// pods and tests that name it find it.
const PauseImage = "registry.k8s.io/pause:3.10.2"

// PauseImageOf returns the pause image made of a static pause binary (see
// cmd/kubeshim-pause): /pause alone, run as the unprivileged user 65535 as
// upstream's image is.
func PauseImageOf(pauseBinary string) (*oci.Image, error) {
	fs := oci.NewRootfs()
	if err := fs.AddBinary("/pause", pauseBinary); err != nil {
		return nil, fmt.Errorf("pause image: %w", err)
	}
	return &oci.Image{
		Names:  []string{PauseImage},
		Rootfs: fs,
		Config: ocispec.ImageConfig{
			Entrypoint: []string{"/pause"},
			User:       "65535:65535",
			Env:        []string{oci.DefaultPath},
		},
	}, nil
}

// EnsurePause makes sure namespace holds PauseImage, unpacked, and returns
// its name. An image of that name that is already there is kept, whoever
// put it there; otherwise it is built in memory from pauseBinary and
// imported. It is idempotent, and cheap when the image is there.
func EnsurePause(ctx context.Context, client *containerd.Client, namespace, pauseBinary string) (string, error) {
	logger := klog.FromContext(ctx)
	nsCtx := namespaces.WithNamespace(ctx, namespace)
	img, err := client.GetImage(nsCtx, PauseImage)
	switch {
	case err == nil:
		ok, err := img.IsUnpacked(nsCtx, "")
		if err != nil {
			return "", fmt.Errorf("check image %s is unpacked: %w", PauseImage, err)
		}
		if !ok {
			if err := img.Unpack(nsCtx, ""); err != nil {
				return "", fmt.Errorf("unpack image %s: %w", PauseImage, err)
			}
		}
		return PauseImage, nil
	case !errdefs.IsNotFound(err):
		return "", fmt.Errorf("get image %s: %w", PauseImage, err)
	}

	image, err := PauseImageOf(pauseBinary)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := image.WriteArchive(&buf); err != nil {
		return "", fmt.Errorf("pause image: %w", err)
	}
	if _, err := Import(ctx, client, namespace, &buf); err != nil {
		return "", err
	}
	logger.Info("Made the pause image", "image", PauseImage, "binary", pauseBinary, "namespace", namespace)
	return PauseImage, nil
}
