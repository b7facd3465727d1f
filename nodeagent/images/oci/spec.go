package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/yaml"
)

// Spec describes an image in a YAML file. Relative host paths (source) are
// relative to the directory of the file. Entries are added in the order
// dirs, files, binaries, symlinks, busybox; adding the same path twice with
// different contents is an error.
//
//	names: [registry.k8s.io/e2e-test-images/busybox:1.37.0-2]
//	dirs:
//	- {path: /tmp, mode: "1777"}
//	files:
//	- {path: /etc/passwd, content: "root:x:0:0:root:/root:/bin/sh\n"}
//	binaries:
//	- {path: /usr/bin/curl, optional: true}
//	busybox: {source: /bin/busybox}
//	symlinks:
//	- {path: /usr/bin/env, target: /bin/busybox}
//	config: {cmd: [sh]}
type Spec struct {
	Names        []string `json:"names"`
	Architecture string   `json:"architecture,omitempty"`
	// Compression is gzip (the default) or none.
	Compression string        `json:"compression,omitempty"`
	Dirs        []DirSpec     `json:"dirs,omitempty"`
	Files       []FileSpec    `json:"files,omitempty"`
	Binaries    []BinarySpec  `json:"binaries,omitempty"`
	Busybox     *BusyboxSpec  `json:"busybox,omitempty"`
	Symlinks    []SymlinkSpec `json:"symlinks,omitempty"`
	Config      ConfigSpec    `json:"config"`
	baseDir     string
}

// DirSpec is a directory; its mode defaults to 0755.
type DirSpec struct {
	Path string `json:"path"`
	Mode *Mode  `json:"mode,omitempty"`
	UID  int    `json:"uid,omitempty"`
	GID  int    `json:"gid,omitempty"`
}

// FileSpec is a regular file copied from the host file source or holding
// content. Its mode defaults to the host file's, or 0644 for content.
type FileSpec struct {
	Path    string  `json:"path"`
	Source  string  `json:"source,omitempty"`
	Content *string `json:"content,omitempty"`
	Mode    *Mode   `json:"mode,omitempty"`
	UID     int     `json:"uid,omitempty"`
	GID     int     `json:"gid,omitempty"`
}

// BinarySpec is a host ELF binary added with its dynamic loader and shared
// libraries. Source defaults to path. An optional binary that the host
// lacks is left out with a log line instead of failing the build.
type BinarySpec struct {
	Path     string `json:"path"`
	Source   string `json:"source,omitempty"`
	Optional bool   `json:"optional,omitempty"`
}

// BusyboxSpec installs a busybox binary at path (default /bin/busybox) and
// a symbolic link to it in dir (default the directory of path) for each
// applet: those listed, or else those `source --list` prints at build time.
// Links are not made over paths the spec adds otherwise.
type BusyboxSpec struct {
	Source  string   `json:"source"`
	Path    string   `json:"path,omitempty"`
	Dir     string   `json:"dir,omitempty"`
	Applets []string `json:"applets,omitempty"`
}

// SymlinkSpec is a symbolic link.
type SymlinkSpec struct {
	Path   string `json:"path"`
	Target string `json:"target"`
}

// ConfigSpec is the runtime configuration of the image.
type ConfigSpec struct {
	Entrypoint   []string          `json:"entrypoint,omitempty"`
	Cmd          []string          `json:"cmd,omitempty"`
	Env          []string          `json:"env,omitempty"`
	WorkingDir   string            `json:"workingDir,omitempty"`
	User         string            `json:"user,omitempty"`
	ExposedPorts []string          `json:"exposedPorts,omitempty"`
	StopSignal   string            `json:"stopSignal,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
}

// Mode is a permission mode written in octal as chmod(1) takes it: "0755",
// "1777". A YAML number is taken as it parses, so 0755 works too.
type Mode uint32

// UnmarshalJSON reads an octal string or a number.
func (m *Mode) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := strconv.ParseUint(s, 8, 32)
		if err != nil || v > 0o7777 {
			return fmt.Errorf("mode %q is not an octal mode", s)
		}
		*m = Mode(v)
		return nil
	}
	var v uint32
	if err := json.Unmarshal(b, &v); err != nil || v > 0o7777 {
		return fmt.Errorf("mode %s is not an octal string or a number up to 07777", b)
	}
	*m = Mode(v)
	return nil
}

// FileMode returns the mode in Go's bits.
func (m Mode) FileMode() fs.FileMode {
	return fileMode(uint32(m))
}

// DefaultPath is the PATH of an image whose spec sets none, the one of
// docker and containerd.
const DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// LoadSpec reads a spec file; unknown fields are errors, to catch typos.
func LoadSpec(file string) (*Spec, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read image spec: %w", err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("read image spec: %w", err)
	}
	spec, err := ParseSpec(data, filepath.Dir(abs))
	if err != nil {
		return nil, fmt.Errorf("image spec %s: %w", file, err)
	}
	return spec, nil
}

// ParseSpec parses a spec whose relative sources are relative to baseDir.
func ParseSpec(data []byte, baseDir string) (*Spec, error) {
	var s Spec
	if err := yaml.UnmarshalStrict(data, &s); err != nil {
		return nil, err
	}
	if len(s.Names) == 0 {
		return nil, fmt.Errorf("names: at least one image name is required")
	}
	for _, n := range s.Names {
		if _, err := NormalizeName(n); err != nil {
			return nil, fmt.Errorf("names: %w", err)
		}
	}
	switch s.Compression {
	case "", "gzip", "none":
	default:
		return nil, fmt.Errorf("compression %q: want gzip or none", s.Compression)
	}
	s.baseDir = baseDir
	return &s, nil
}

func (s *Spec) source(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.baseDir, p)
}

// Image reads the host files the spec names and returns the image to write.
func (s *Spec) Image(ctx context.Context) (*Image, error) {
	logger := klog.FromContext(ctx)
	root := NewRootfs()
	for _, d := range s.Dirs {
		mode := DefaultDirMode
		if d.Mode != nil {
			mode = d.Mode.FileMode()
		}
		if err := root.AddDir(d.Path, mode, Owner{d.UID, d.GID}); err != nil {
			return nil, fmt.Errorf("dirs: %w", err)
		}
	}
	for _, f := range s.Files {
		var mode fs.FileMode
		if f.Mode != nil {
			mode = f.Mode.FileMode()
		}
		var err error
		switch {
		case f.Content != nil && f.Source != "":
			err = fmt.Errorf("file %s: both source and content are set", f.Path)
		case f.Content != nil:
			if f.Mode == nil {
				mode = 0o644
			}
			err = root.AddData(f.Path, []byte(*f.Content), mode, Owner{f.UID, f.GID})
		case f.Source != "":
			err = root.AddFile(f.Path, s.source(f.Source), mode, Owner{f.UID, f.GID})
		default:
			err = fmt.Errorf("file %s: neither source nor content is set", f.Path)
		}
		if err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
	}
	for _, b := range s.Binaries {
		source := s.source(b.Source)
		if source == "" {
			source = b.Path
		}
		if b.Optional {
			if _, err := os.Stat(source); err != nil {
				logger.Info("Leaving out an optional binary the host lacks", "path", b.Path, "source", source)
				continue
			}
		}
		if err := root.AddBinary(b.Path, source); err != nil {
			return nil, fmt.Errorf("binaries: %w", err)
		}
	}
	for _, l := range s.Symlinks {
		if err := root.AddSymlink(l.Path, l.Target); err != nil {
			return nil, fmt.Errorf("symlinks: %w", err)
		}
	}
	if s.Busybox != nil {
		if err := s.addBusybox(ctx, root); err != nil {
			return nil, fmt.Errorf("busybox: %w", err)
		}
	}

	config := ocispec.ImageConfig{
		Entrypoint: s.Config.Entrypoint,
		Cmd:        s.Config.Cmd,
		Env:        s.Config.Env,
		WorkingDir: s.Config.WorkingDir,
		User:       s.Config.User,
		StopSignal: s.Config.StopSignal,
		Labels:     s.Config.Labels,
	}
	if !hasEnv(config.Env, "PATH") {
		config.Env = append([]string{DefaultPath}, config.Env...)
	}
	for _, p := range s.Config.ExposedPorts {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		if config.ExposedPorts == nil {
			config.ExposedPorts = map[string]struct{}{}
		}
		config.ExposedPorts[p] = struct{}{}
	}
	return &Image{
		Names:        s.Names,
		Architecture: s.Architecture,
		Config:       config,
		Rootfs:       root,
		Uncompressed: s.Compression == "none",
	}, nil
}

func hasEnv(env []string, name string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, name+"=") {
			return true
		}
	}
	return false
}

func (s *Spec) addBusybox(ctx context.Context, root *Rootfs) error {
	b := s.Busybox
	source := s.source(b.Source)
	if source == "" {
		return fmt.Errorf("source is required")
	}
	target := b.Path
	if target == "" {
		target = "/bin/busybox"
	}
	dir := b.Dir
	if dir == "" {
		dir = path.Dir(target)
	}
	applets := b.Applets
	if len(applets) == 0 {
		var err error
		if applets, err = BusyboxApplets(ctx, source); err != nil {
			return err
		}
	}
	if err := root.AddBinary(target, source); err != nil {
		return err
	}
	for _, applet := range applets {
		link := path.Join(dir, applet)
		if link == target || root.Has(link) {
			continue
		}
		if err := root.AddSymlink(link, target); err != nil {
			return err
		}
	}
	return nil
}

// BusyboxApplets runs `busybox --list` to learn which applets the busybox
// binary at path was built with.
func BusyboxApplets(ctx context.Context, path string) ([]string, error) {
	out, err := exec.CommandContext(ctx, path, "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("list the applets of %s: %w", path, err)
	}
	var applets []string
	for _, a := range strings.Fields(string(out)) {
		// An applet is a file name; anything else is not busybox's list.
		if strings.ContainsAny(a, "/\x00") || a == "." || a == ".." {
			return nil, fmt.Errorf("list the applets of %s: unexpected applet name %q", path, a)
		}
		applets = append(applets, a)
	}
	if len(applets) == 0 {
		return nil, fmt.Errorf("list the applets of %s: none listed", path)
	}
	return applets, nil
}
