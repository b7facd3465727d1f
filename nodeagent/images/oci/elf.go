package oci

import (
	"debug/elf"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultLibraryDirs are the directories Debian's dynamic loader searches
// when a library is in neither a DT_RUNPATH nor ld.so.cache, in its order.
// Images hold no ld.so.cache, so libraries are placed at the path found
// here, which the loader of the image searches the same way.
var DefaultLibraryDirs = []string{
	"/lib/x86_64-linux-gnu",
	"/usr/lib/x86_64-linux-gnu",
	"/lib64",
	"/usr/lib64",
	"/lib",
	"/usr/lib",
}

// LibraryResolver finds the shared libraries of ELF binaries on this host.
type LibraryResolver struct {
	// Dirs are searched after a binary's DT_RUNPATH (or DT_RPATH);
	// DefaultLibraryDirs when empty.
	Dirs []string
}

// SharedLibraries returns the libraries the ELF binary at path loads, with
// the DefaultLibraryDirs: see LibraryResolver.SharedLibraries.
func SharedLibraries(path string) ([]string, error) {
	return LibraryResolver{}.SharedLibraries(path)
}

// SharedLibraries returns the host paths of the dynamic loader (PT_INTERP)
// and of every library the ELF binary at path needs (DT_NEEDED, followed
// through the libraries themselves), sorted. It is empty for a static binary.
// A library is taken only when its class and machine match the binary's, as
// the loader skips others of the same name.
func (r LibraryResolver) SharedLibraries(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read ELF binary %s: %w", path, err)
	}
	defer f.Close()

	found := map[string]bool{}
	for _, prog := range f.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, prog.Filesz)
		if _, err := prog.ReadAt(b, 0); err != nil {
			return nil, fmt.Errorf("read interpreter of %s: %w", path, err)
		}
		interp := strings.TrimRight(string(b), "\x00")
		if _, err := os.Stat(interp); err != nil {
			return nil, fmt.Errorf("interpreter of %s: %w", path, err)
		}
		found[interp] = true
	}

	w := walker{dirs: r.Dirs, class: f.Class, machine: f.Machine, found: found, byName: map[string]string{}}
	if len(w.dirs) == 0 {
		w.dirs = DefaultLibraryDirs
	}
	if err := w.walk(path, f); err != nil {
		return nil, err
	}
	libs := make([]string, 0, len(found))
	for lib := range found {
		libs = append(libs, lib)
	}
	sort.Strings(libs)
	return libs, nil
}

type walker struct {
	dirs    []string
	class   elf.Class
	machine elf.Machine
	found   map[string]bool
	// byName remembers where a DT_NEEDED name was found: the loader loads a
	// soname once, whoever needs it.
	byName map[string]string
}

// walk adds the libraries the object at path (open as f) needs, depth first.
func (w *walker) walk(path string, f *elf.File) error {
	needed, err := f.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("read DT_NEEDED of %s: %w", path, err)
	}
	runpath, err := searchPath(path, f)
	if err != nil {
		return err
	}
	for _, name := range needed {
		if _, ok := w.byName[name]; ok {
			continue
		}
		lib, lf, err := w.find(name, runpath)
		if err != nil {
			return fmt.Errorf("library %s needed by %s: %w", name, path, err)
		}
		w.byName[name] = lib
		w.found[lib] = true
		err = w.walk(lib, lf)
		lf.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// find opens the first file called name in runpath and then the default
// directories that is an ELF object of the binary's class and machine.
func (w *walker) find(name string, runpath []string) (string, *elf.File, error) {
	candidates := []string{name}
	if !strings.Contains(name, "/") {
		candidates = candidates[:0]
		for _, dir := range append(runpath, w.dirs...) {
			candidates = append(candidates, filepath.Join(dir, name))
		}
	}
	for _, c := range candidates {
		lf, err := elf.Open(c)
		if err != nil {
			// Missing, not readable or not an ELF file: the loader moves on too.
			continue
		}
		if lf.Class != w.class || lf.Machine != w.machine {
			lf.Close()
			continue
		}
		return c, lf, nil
	}
	return "", nil, fs.ErrNotExist
}

// searchPath returns the DT_RUNPATH of an object, or its DT_RPATH when it
// has none, with $ORIGIN expanded to the object's directory.
func searchPath(path string, f *elf.File) ([]string, error) {
	paths, err := f.DynString(elf.DT_RUNPATH)
	if err == nil && len(paths) == 0 {
		paths, err = f.DynString(elf.DT_RPATH)
	}
	if err != nil {
		return nil, fmt.Errorf("read search path of %s: %w", path, err)
	}
	origin := filepath.Dir(path)
	var dirs []string
	for _, p := range paths {
		for _, dir := range strings.Split(p, ":") {
			if dir == "" {
				continue
			}
			dir = strings.NewReplacer("${ORIGIN}", origin, "$ORIGIN", origin).Replace(dir)
			dirs = append(dirs, dir)
		}
	}
	return dirs, nil
}
