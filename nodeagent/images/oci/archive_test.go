package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// tarEntry is what a test compares of one tar entry.
type tarEntry struct {
	Name     string
	Type     byte
	Mode     int64
	UID, GID int
	Linkname string
	Data     string
	// Epoch is true when the entry has the fixed modification time.
	Epoch bool
}

func readTar(t *testing.T, r io.Reader) []tarEntry {
	t.Helper()
	var entries []tarEntry
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read %s: %v", hdr.Name, err)
		}
		entries = append(entries, tarEntry{
			Name: hdr.Name, Type: hdr.Typeflag, Mode: hdr.Mode, UID: hdr.Uid, GID: hdr.Gid,
			Linkname: hdr.Linkname, Data: string(data), Epoch: hdr.ModTime.Equal(Epoch),
		})
	}
}

// archive is a written image archive read back.
type archive struct {
	names    []string
	files    map[string][]byte
	index    ocispec.Index
	manifest ocispec.Manifest
	config   ocispec.Image
	layer    []tarEntry
	// docker is manifest.json.
	docker []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	repositories map[string]map[string]string
}

func readArchive(t *testing.T, data []byte) archive {
	t.Helper()
	a := archive{files: map[string][]byte{}}
	for _, e := range readTar(t, bytes.NewReader(data)) {
		if !e.Epoch || e.UID != 0 || e.GID != 0 {
			t.Errorf("archive entry %s: want root-owned with the fixed time, got %+v", e.Name, e)
		}
		a.names = append(a.names, e.Name)
		if e.Type == tar.TypeReg {
			a.files[e.Name] = []byte(e.Data)
		}
	}
	blobFile := func(d ocispec.Descriptor) []byte {
		t.Helper()
		b, ok := a.files["blobs/sha256/"+d.Digest.Encoded()]
		if !ok {
			t.Fatalf("no blob for %s", d.Digest)
		}
		if got := digest.FromBytes(b); got != d.Digest || int64(len(b)) != d.Size {
			t.Fatalf("blob %s: digest %s, size %d; descriptor says size %d", d.Digest, got, len(b), d.Size)
		}
		return b
	}
	unmarshal := func(name string, b []byte, v any) {
		t.Helper()
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
	}
	unmarshal("index.json", a.files["index.json"], &a.index)
	unmarshal("manifest.json", a.files["manifest.json"], &a.docker)
	unmarshal("repositories", a.files["repositories"], &a.repositories)
	if len(a.index.Manifests) == 0 {
		t.Fatalf("index.json lists no manifest")
	}
	unmarshal("manifest", blobFile(a.index.Manifests[0]), &a.manifest)
	unmarshal("config", blobFile(a.manifest.Config), &a.config)
	if len(a.manifest.Layers) != 1 {
		t.Fatalf("want one layer, got %d", len(a.manifest.Layers))
	}
	var layer io.Reader = bytes.NewReader(blobFile(a.manifest.Layers[0]))
	if a.manifest.Layers[0].MediaType == ocispec.MediaTypeImageLayerGzip {
		zr, err := gzip.NewReader(layer)
		if err != nil {
			t.Fatalf("layer: %v", err)
		}
		layer = zr
	}
	raw, err := io.ReadAll(layer)
	if err != nil {
		t.Fatalf("read layer: %v", err)
	}
	if got, want := digest.FromBytes(raw), a.config.RootFS.DiffIDs[0]; got != want {
		t.Errorf("layer diff ID: config says %s, layer is %s", want, got)
	}
	a.layer = readTar(t, bytes.NewReader(raw))
	return a
}

func TestWriteArchive(t *testing.T) {
	dir := t.TempDir()
	hostFile := filepath.Join(dir, "hello")
	if err := os.WriteFile(hostFile, []byte("#!/bin/sh\necho hello\n"), 0o750); err != nil {
		t.Fatal(err)
	}
	newRootfs := func(t *testing.T) *Rootfs {
		r := NewRootfs()
		for _, err := range []error{
			r.AddFile("/usr/bin/hello", hostFile, 0),
			r.AddData("/etc/passwd", []byte("root:x:0:0::/root:/bin/sh\n"), 0o644),
			r.AddDir("/tmp", 0o777|fs.ModeSticky),
			r.AddDir("/home/user", 0o700, Owner{UID: 1000, GID: 1000}),
			r.AddSymlink("/bin/hi", "/usr/bin/hello"),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	wantLayer := []tarEntry{
		{Name: "bin/", Type: tar.TypeDir, Mode: 0o755, Epoch: true},
		{Name: "bin/hi", Type: tar.TypeSymlink, Mode: 0o777, Linkname: "/usr/bin/hello", Epoch: true},
		{Name: "etc/", Type: tar.TypeDir, Mode: 0o755, Epoch: true},
		{Name: "etc/passwd", Type: tar.TypeReg, Mode: 0o644, Data: "root:x:0:0::/root:/bin/sh\n", Epoch: true},
		{Name: "home/", Type: tar.TypeDir, Mode: 0o755, Epoch: true},
		{Name: "home/user/", Type: tar.TypeDir, Mode: 0o700, UID: 1000, GID: 1000, Epoch: true},
		{Name: "tmp/", Type: tar.TypeDir, Mode: 0o1777, Epoch: true},
		{Name: "usr/", Type: tar.TypeDir, Mode: 0o755, Epoch: true},
		{Name: "usr/bin/", Type: tar.TypeDir, Mode: 0o755, Epoch: true},
		{Name: "usr/bin/hello", Type: tar.TypeReg, Mode: 0o750, Data: "#!/bin/sh\necho hello\n", Epoch: true},
	}

	tests := []struct {
		name          string
		names         []string
		uncompressed  bool
		wantMediaType string
		wantNames     map[string]string // io.containerd.image.name → org.opencontainers.image.ref.name
		wantRepoTags  []string
		wantRepos     []string
	}{
		{
			name:          "one short name, gzip",
			names:         []string{"hello"},
			wantMediaType: ocispec.MediaTypeImageLayerGzip,
			wantNames:     map[string]string{"docker.io/library/hello:latest": "latest"},
			wantRepoTags:  []string{"hello:latest"},
			wantRepos:     []string{"hello"},
		},
		{
			name:          "several tags, uncompressed, duplicates dropped",
			names:         []string{"registry.k8s.io/e2e-test-images/busybox:1.37.0-2", "registry.k8s.io/e2e-test-images/busybox:1.36.1-1", "busybox", "docker.io/library/busybox:latest"},
			uncompressed:  true,
			wantMediaType: ocispec.MediaTypeImageLayer,
			wantNames: map[string]string{
				"registry.k8s.io/e2e-test-images/busybox:1.37.0-2": "1.37.0-2",
				"registry.k8s.io/e2e-test-images/busybox:1.36.1-1": "1.36.1-1",
				"docker.io/library/busybox:latest":                 "latest",
			},
			wantRepoTags: []string{"registry.k8s.io/e2e-test-images/busybox:1.37.0-2", "registry.k8s.io/e2e-test-images/busybox:1.36.1-1", "busybox:latest"},
			wantRepos:    []string{"busybox", "registry.k8s.io/e2e-test-images/busybox"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := &Image{
				Names:  tc.names,
				Rootfs: newRootfs(t),
				Config: ocispec.ImageConfig{
					Entrypoint: []string{"/usr/bin/hello"},
					Cmd:        []string{"world"},
					Env:        []string{"PATH=/bin"},
					WorkingDir: "/tmp",
					User:       "1000:1000",
				},
				Uncompressed: tc.uncompressed,
			}
			var buf bytes.Buffer
			if err := img.WriteArchive(&buf); err != nil {
				t.Fatalf("WriteArchive: %v", err)
			}
			a := readArchive(t, buf.Bytes())

			wantFiles := []string{
				"blobs/", "blobs/sha256/", "index.json", "manifest.json", "oci-layout", "repositories",
				a.docker[0].Config, a.docker[0].Layers[0], "blobs/sha256/" + a.index.Manifests[0].Digest.Encoded(),
			}
			if diff := cmp.Diff(sorted(wantFiles), a.names); diff != "" {
				t.Errorf("archive entries (-want +got):\n%s", diff)
			}
			if got := string(a.files["oci-layout"]); got != `{"imageLayoutVersion":"1.0.0"}` {
				t.Errorf("oci-layout: %s", got)
			}

			gotNames := map[string]string{}
			for _, m := range a.index.Manifests {
				if m.Digest != a.index.Manifests[0].Digest || m.MediaType != ocispec.MediaTypeImageManifest {
					t.Errorf("index manifest %+v: want every tag on the one manifest", m)
				}
				if m.Platform == nil || m.Platform.Architecture != "amd64" || m.Platform.OS != "linux" {
					t.Errorf("index manifest platform: %+v", m.Platform)
				}
				gotNames[m.Annotations[AnnotationImageName]] = m.Annotations[ocispec.AnnotationRefName]
			}
			if diff := cmp.Diff(tc.wantNames, gotNames); diff != "" {
				t.Errorf("index.json names (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantRepoTags, a.docker[0].RepoTags); diff != "" {
				t.Errorf("manifest.json RepoTags (-want +got):\n%s", diff)
			}
			var repos []string
			for r := range a.repositories {
				repos = append(repos, r)
			}
			if diff := cmp.Diff(tc.wantRepos, sorted(repos)); diff != "" {
				t.Errorf("repositories (-want +got):\n%s", diff)
			}
			if got := a.docker[0].Config; got != "blobs/sha256/"+a.manifest.Config.Digest.Encoded() {
				t.Errorf("manifest.json Config %s is not the manifest's config %s", got, a.manifest.Config.Digest)
			}

			if got := a.manifest.Layers[0].MediaType; got != tc.wantMediaType {
				t.Errorf("layer media type: want %s, got %s", tc.wantMediaType, got)
			}
			if a.manifest.Config.MediaType != ocispec.MediaTypeImageConfig {
				t.Errorf("config media type: %s", a.manifest.Config.MediaType)
			}
			if diff := cmp.Diff(img.Config, a.config.Config); diff != "" {
				t.Errorf("image config (-want +got):\n%s", diff)
			}
			if a.config.Architecture != "amd64" || a.config.OS != "linux" || a.config.RootFS.Type != "layers" {
				t.Errorf("config platform or rootfs: %+v %+v", a.config.Platform, a.config.RootFS)
			}
			if diff := cmp.Diff(wantLayer, a.layer); diff != "" {
				t.Errorf("layer (-want +got):\n%s", diff)
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestWriteArchiveReproducible(t *testing.T) {
	write := func() []byte {
		r := NewRootfs()
		// Added in another order each time: the archive must not depend on it.
		if err := r.AddData("/b", []byte("b"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := r.AddData("/a/c", []byte("c"), 0o644); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := (&Image{Names: []string{"x:1", "y:2"}, Rootfs: r}).WriteArchive(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	if a, b := write(), write(); !bytes.Equal(a, b) {
		t.Errorf("two writes of the same image differ")
	}
}

func TestWriteArchiveErrors(t *testing.T) {
	tests := []struct {
		name    string
		img     *Image
		wantErr string
	}{
		{name: "no name", img: &Image{Rootfs: NewRootfs()}, wantErr: "image has no name"},
		{name: "no rootfs", img: &Image{Names: []string{"x"}}, wantErr: "no root file system"},
		{name: "invalid name", img: &Image{Names: []string{"Not A Name"}, Rootfs: NewRootfs()}, wantErr: `image name "Not A Name"`},
		{
			name:    "digest name",
			img:     &Image{Names: []string{"x@sha256:" + strings.Repeat("a", 64)}, Rootfs: NewRootfs()},
			wantErr: "a digest cannot name",
		},
		{
			name: "host file gone",
			img: func() *Image {
				r := NewRootfs()
				f := filepath.Join(t.TempDir(), "f")
				if err := os.WriteFile(f, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := r.AddFile("/f", f, 0); err != nil {
					t.Fatal(err)
				}
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
				return &Image{Names: []string{"x"}, Rootfs: r}
			}(),
			wantErr: "write /f",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.img.WriteArchive(io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("want an error containing %q, got %v", tc.wantErr, err)
			}
		})
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"busybox", "docker.io/library/busybox:latest"},
		{"busybox:1.36", "docker.io/library/busybox:1.36"},
		{"registry.k8s.io/pause:3.10.2", "registry.k8s.io/pause:3.10.2"},
		{"example.com/a/b", "example.com/a/b:latest"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalizeName(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
