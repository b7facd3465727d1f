package oci

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// Epoch is the modification time of every entry of a layer, so that a layer
// depends only on its contents.
var Epoch = time.Unix(0, 0).UTC()

// DefaultDirMode is the mode of directories that are made because a path
// below them was added.
const DefaultDirMode fs.FileMode = 0o755

type entryType int

const (
	typeDir entryType = iota
	typeFile
	typeSymlink
)

func (t entryType) String() string {
	switch t {
	case typeDir:
		return "directory"
	case typeFile:
		return "file"
	default:
		return "symlink"
	}
}

// entry is one path of a layer. It is comparable so that adding the same
// thing twice (a library two binaries need) is not a conflict.
type entry struct {
	typ  entryType
	mode fs.FileMode
	uid  int
	gid  int
	// source is the host file a regular file is copied from; data holds its
	// contents instead when source is empty.
	source string
	data   string
	target string
	// implicit directories were made for a path below them; an explicit
	// AddDir of the same path replaces them.
	implicit bool
}

// Rootfs is the file system of a single-layer image, built in memory from
// host files; nothing is read from the host until WriteTar.
// The zero value is not usable: call NewRootfs.
type Rootfs struct {
	entries map[string]entry
}

// NewRootfs returns an empty file system holding only its root directory.
func NewRootfs() *Rootfs {
	return &Rootfs{entries: map[string]entry{}}
}

// Owner sets the owner of an added entry; entries are owned by root by default.
type Owner struct {
	UID int
	GID int
}

// AddDir adds a directory with the given permission bits (fs.ModeSticky,
// fs.ModeSetuid and fs.ModeSetgid are kept).
func (r *Rootfs) AddDir(p string, mode fs.FileMode, owner ...Owner) error {
	return r.add(p, withOwner(entry{typ: typeDir, mode: mode & modeBits}, owner))
}

// AddFile adds a regular file copied from the host file source (symbolic
// links followed). A zero mode keeps the host file's permission bits.
func (r *Rootfs) AddFile(p, source string, mode fs.FileMode, owner ...Owner) error {
	fi, err := os.Stat(source)
	if err != nil {
		return fmt.Errorf("add %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("add %s: %s is not a regular file", p, source)
	}
	if mode == 0 {
		mode = fi.Mode()
	}
	return r.add(p, withOwner(entry{typ: typeFile, mode: mode & modeBits, source: source}, owner))
}

// AddData adds a regular file with the given contents.
func (r *Rootfs) AddData(p string, data []byte, mode fs.FileMode, owner ...Owner) error {
	return r.add(p, withOwner(entry{typ: typeFile, mode: mode & modeBits, data: string(data)}, owner))
}

// AddSymlink adds a symbolic link to target, which is taken as it is:
// absolute targets resolve inside the container.
func (r *Rootfs) AddSymlink(p, target string) error {
	if target == "" {
		return fmt.Errorf("add symlink %s: empty target", p)
	}
	return r.add(p, entry{typ: typeSymlink, mode: 0o777, target: target})
}

// AddBinary adds the host ELF binary source at p and, at their host paths,
// the dynamic loader and every shared library it needs (see SharedLibraries).
// A static binary is added alone.
func (r *Rootfs) AddBinary(p, source string) error {
	return r.addBinary(p, source, LibraryResolver{})
}

func (r *Rootfs) addBinary(p, source string, resolver LibraryResolver) error {
	libs, err := resolver.SharedLibraries(source)
	if err != nil {
		return fmt.Errorf("add binary %s: %w", p, err)
	}
	if err := r.AddFile(p, source, 0); err != nil {
		return err
	}
	for _, lib := range libs {
		if err := r.AddFile(lib, lib, 0); err != nil {
			return fmt.Errorf("add binary %s: %w", p, err)
		}
	}
	return nil
}

// Has reports whether p was added, explicitly or as the parent of another path.
func (r *Rootfs) Has(p string) bool {
	_, ok := r.entries[path.Clean("/"+p)]
	return ok
}

// Paths returns the added paths, sorted, without the root directory.
func (r *Rootfs) Paths() []string {
	paths := make([]string, 0, len(r.entries))
	for p := range r.entries {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

const modeBits = fs.ModePerm | fs.ModeSticky | fs.ModeSetuid | fs.ModeSetgid

func withOwner(e entry, owner []Owner) entry {
	if len(owner) > 0 {
		e.uid, e.gid = owner[0].UID, owner[0].GID
	}
	return e
}

func cleanPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("path %q is not absolute", p)
	}
	p = path.Clean(p)
	if p == "/" {
		return "", fmt.Errorf("path %q names the root directory", p)
	}
	return p, nil
}

func (r *Rootfs) add(p string, e entry) error {
	p, err := cleanPath(p)
	if err != nil {
		return err
	}
	// Every parent must be a directory, made here when missing.
	for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
		old, ok := r.entries[dir]
		if !ok {
			r.entries[dir] = entry{typ: typeDir, mode: DefaultDirMode, implicit: true}
			continue
		}
		if old.typ != typeDir {
			return fmt.Errorf("add %s: parent %s is a %s", p, dir, old.typ)
		}
	}
	old, ok := r.entries[p]
	switch {
	case !ok, old.implicit && e.typ == typeDir:
		r.entries[p] = e
	case old == e:
	default:
		return fmt.Errorf("add %s: conflicts with the %s added before", p, old.typ)
	}
	return nil
}

// WriteTar writes the file system as an uncompressed layer tar stream:
// entries sorted by path (so parents come first), root-owned unless told
// otherwise, with the Epoch as their modification time.
func (r *Rootfs) WriteTar(w io.Writer) error {
	tw := tar.NewWriter(w)
	for _, p := range r.Paths() {
		e := r.entries[p]
		hdr := &tar.Header{
			Name:    strings.TrimPrefix(p, "/"),
			Mode:    unixMode(e.mode),
			Uid:     e.uid,
			Gid:     e.gid,
			ModTime: Epoch,
			Format:  tar.FormatPAX,
		}
		switch e.typ {
		case typeDir:
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
		case typeSymlink:
			hdr.Typeflag = tar.TypeSymlink
			hdr.Linkname = e.target
		case typeFile:
			hdr.Typeflag = tar.TypeReg
		}
		if err := writeEntry(tw, hdr, e); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return tw.Close()
}

func writeEntry(tw *tar.Writer, hdr *tar.Header, e entry) error {
	if hdr.Typeflag != tar.TypeReg {
		return tw.WriteHeader(hdr)
	}
	if e.source == "" {
		hdr.Size = int64(len(e.data))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := io.WriteString(tw, e.data)
		return err
	}
	f, err := os.Open(e.source)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	hdr.Size = fi.Size()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	// A file that changes size while it is copied makes the tar writer fail
	// rather than write a corrupt layer.
	_, err = io.Copy(tw, f)
	return err
}

// unixMode converts Go's mode bits to the ones of a tar header.
func unixMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}

// fileMode converts the mode bits of a tar header or chmod(1) to Go's.
func fileMode(unix uint32) fs.FileMode {
	m := fs.FileMode(unix & 0o777)
	if unix&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if unix&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if unix&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}
