package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// AnnotationImageName is the annotation of an index.json manifest that
// containerd names an imported image after (images.AnnotationImageName);
// org.opencontainers.image.ref.name holds only the tag, as the OCI image
// layout defines it and containerd's own exporter writes it.
const AnnotationImageName = "io.containerd.image.name"

// Image is a single-layer image to write as an archive.
type Image struct {
	// Names are the references the image is imported as, normalized as
	// docker does ("busybox" is docker.io/library/busybox:latest).
	Names []string
	// Architecture and OS default to amd64 and linux.
	Architecture string
	OS           string
	// Config is the runtime configuration: Entrypoint, Cmd, Env,
	// WorkingDir, User and the like.
	Config ocispec.ImageConfig
	Rootfs *Rootfs
	// Uncompressed writes the layer as a plain tar instead of gzip: faster
	// to build and import, larger on disk.
	Uncompressed bool
}

// NormalizeName returns the full docker reference of name, with the
// docker.io/library/ prefix and the latest tag it implies.
func NormalizeName(name string) (string, error) {
	ref, err := reference.ParseDockerRef(name)
	if err != nil {
		return "", fmt.Errorf("image name %q: %w", name, err)
	}
	return ref.String(), nil
}

// blob is one file of blobs/sha256 in the archive.
type blob struct {
	desc ocispec.Descriptor
	data []byte
}

func newBlob(mediaType string, data []byte) blob {
	return blob{
		desc: ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))},
		data: data,
	}
}

func jsonBlob(mediaType string, v any) (blob, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return blob{}, err
	}
	return newBlob(mediaType, data), nil
}

func (b blob) name() string {
	return path.Join(ocispec.ImageBlobsDir, b.desc.Digest.Algorithm().String(), b.desc.Digest.Encoded())
}

// WriteArchive writes the image as an OCI image layout tar archive
// (oci-layout, index.json, blobs/sha256/...) that also carries docker's
// manifest.json and repositories, so that docker load names it too.
// The layer is built in memory: the images this is for are tens of MiB.
func (img *Image) WriteArchive(w io.Writer) error {
	if len(img.Names) == 0 {
		return fmt.Errorf("image has no name")
	}
	if img.Rootfs == nil {
		return fmt.Errorf("image has no root file system")
	}
	names := make([]reference.NamedTagged, 0, len(img.Names))
	seen := map[string]bool{}
	for _, n := range img.Names {
		ref, err := reference.ParseDockerRef(n)
		if err != nil {
			return fmt.Errorf("image name %q: %w", n, err)
		}
		tagged, ok := ref.(reference.NamedTagged)
		if !ok {
			return fmt.Errorf("image name %q: a digest cannot name an image that is being built", n)
		}
		if !seen[ref.String()] {
			seen[ref.String()] = true
			names = append(names, tagged)
		}
	}

	layer, diffID, err := img.layer()
	if err != nil {
		return fmt.Errorf("build layer: %w", err)
	}
	platform := ocispec.Platform{Architecture: img.Architecture, OS: img.OS}
	if platform.Architecture == "" {
		platform.Architecture = "amd64"
	}
	if platform.OS == "" {
		platform.OS = "linux"
	}
	config, err := jsonBlob(ocispec.MediaTypeImageConfig, ocispec.Image{
		Platform: platform,
		Config:   img.Config,
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
		History:  []ocispec.History{{CreatedBy: "kubeshim image build"}},
	})
	if err != nil {
		return err
	}
	manifest, err := jsonBlob(ocispec.MediaTypeImageManifest, ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    config.desc,
		Layers:    []ocispec.Descriptor{layer.desc},
	})
	if err != nil {
		return err
	}

	index := ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
	}
	// repositories is docker's legacy name file: repository → tag → the id
	// of the top layer, which for a one-layer image docker derives from the
	// config digest.
	repositories := map[string]map[string]string{}
	dockerManifest := []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}{{Config: config.name(), Layers: []string{layer.name()}}}
	for _, ref := range names {
		desc := manifest.desc
		desc.Platform = &platform
		desc.Annotations = map[string]string{
			AnnotationImageName:       ref.String(),
			ocispec.AnnotationRefName: ref.Tag(),
		}
		index.Manifests = append(index.Manifests, desc)
		familiar := reference.FamiliarName(ref)
		dockerManifest[0].RepoTags = append(dockerManifest[0].RepoTags, familiar+":"+ref.Tag())
		if repositories[familiar] == nil {
			repositories[familiar] = map[string]string{}
		}
		repositories[familiar][ref.Tag()] = config.desc.Digest.Encoded()
	}

	files := map[string][]byte{
		config.name():   config.data,
		layer.name():    layer.data,
		manifest.name(): manifest.data,
	}
	for name, v := range map[string]any{
		ocispec.ImageLayoutFile: ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion},
		ocispec.ImageIndexFile:  index,
		"manifest.json":         dockerManifest,
		"repositories":          repositories,
	} {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		files[name] = data
	}
	return writeFiles(w, files)
}

// layer returns the layer blob and its diff ID, the digest of the
// uncompressed tar.
func (img *Image) layer() (blob, digest.Digest, error) {
	var buf bytes.Buffer
	h := sha256.New()
	if img.Uncompressed {
		if err := img.Rootfs.WriteTar(io.MultiWriter(&buf, h)); err != nil {
			return blob{}, "", err
		}
		b := newBlob(ocispec.MediaTypeImageLayer, buf.Bytes())
		return b, b.desc.Digest, nil
	}
	// The gzip header has no name and a zero time, so the same tar
	// compresses to the same bytes.
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return blob{}, "", err
	}
	if err := img.Rootfs.WriteTar(io.MultiWriter(zw, h)); err != nil {
		return blob{}, "", err
	}
	if err := zw.Close(); err != nil {
		return blob{}, "", err
	}
	return newBlob(ocispec.MediaTypeImageLayerGzip, buf.Bytes()), digest.NewDigest(digest.SHA256, h), nil
}

// writeFiles writes an archive of files and the directories that hold
// them, sorted by name, root-owned, with the Epoch as modification time.
func writeFiles(w io.Writer, files map[string][]byte) error {
	dirs := map[string]bool{}
	for name := range files {
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			dirs[dir+"/"] = true
		}
	}
	names := make([]string, 0, len(files)+len(dirs))
	for name := range files {
		names = append(names, name)
	}
	for dir := range dirs {
		names = append(names, dir)
	}
	sort.Strings(names)

	tw := tar.NewWriter(w)
	for _, name := range names {
		hdr := &tar.Header{Name: name, ModTime: Epoch, Format: tar.FormatPAX}
		data, isFile := files[name]
		if isFile {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, int64(len(data))
		} else {
			hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write archive: %w", err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("write archive: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	return nil
}
