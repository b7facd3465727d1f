// Package oci builds single-layer container images without a registry or a
// container build tool: a Rootfs collects files copied from the host (ELF
// binaries together with the shared libraries they load), directories and
// symbolic links; an Image adds names and an image configuration; and
// WriteArchive writes it as an OCI image layout tar archive that `ctr import`,
// containerd's client Import and `docker load` all accept, naming every tag.
//
// A Spec is the same description read from a YAML file, so that the test
// images of kubeshim are built from files checked into test/images.
//
// Archives are reproducible: entries are sorted, owned by root unless told
// otherwise, and carry a fixed modification time, so the same inputs give the
// same digests.
//
//	fs := oci.NewRootfs()
//	_ = fs.AddBinary("/bin/busybox", "/bin/busybox")
//	img := &oci.Image{
//		Names:  []string{"busybox"},
//		Rootfs: fs,
//		Config: ocispec.ImageConfig{Cmd: []string{"sh"}},
//	}
//	err := img.WriteArchive(w)
package oci
