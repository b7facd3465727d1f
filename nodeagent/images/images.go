package images

import (
	"context"
	"fmt"
	"io"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/nodeagent/images/oci"
)

// Import imports the images of an image archive (an OCI image layout or a
// docker save archive) into namespace, unpacks each into the client's
// default snapshotter, and returns their names. Importing an image again
// moves its names to the new contents.
func Import(ctx context.Context, client *containerd.Client, namespace string, r io.Reader) ([]string, error) {
	logger := klog.FromContext(ctx)
	ctx = namespaces.WithNamespace(ctx, namespace)
	imgs, err := client.Import(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("import images into namespace %s: %w", namespace, err)
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("import images into namespace %s: the archive names no image", namespace)
	}
	names := make([]string, 0, len(imgs))
	unpacked := map[string]bool{}
	for _, img := range imgs {
		names = append(names, img.Name)
		// Tags of one manifest share their snapshots: unpack once.
		if unpacked[img.Target.Digest.String()] {
			continue
		}
		if err := containerd.NewImage(client, img).Unpack(ctx, ""); err != nil {
			return nil, fmt.Errorf("unpack image %s: %w", img.Name, err)
		}
		unpacked[img.Target.Digest.String()] = true
		logger.V(2).Info("Imported image", "image", img.Name, "digest", img.Target.Digest, "namespace", namespace)
	}
	return names, nil
}

// Has reports whether namespace holds the image ref ("busybox" or its full
// name), unpacked into the client's default snapshotter, so that a container
// can be made of it at once.
func Has(ctx context.Context, client *containerd.Client, namespace, ref string) (bool, error) {
	name, err := oci.NormalizeName(ref)
	if err != nil {
		return false, err
	}
	ctx = namespaces.WithNamespace(ctx, namespace)
	img, err := client.GetImage(ctx, name)
	if errdefs.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get image %s: %w", name, err)
	}
	ok, err := img.IsUnpacked(ctx, "")
	if err != nil {
		return false, fmt.Errorf("check image %s is unpacked: %w", name, err)
	}
	return ok, nil
}
