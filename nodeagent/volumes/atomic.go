package volumes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/klog/v2"
)

const (
	dataDirName    = "..data"
	newDataDirName = "..data_tmp"
	maxFileNameLen = 255
	maxPathLen     = 4096
)

// file is one file of a projected volume: its contents and mode.
type file struct {
	data []byte
	mode int32
}

// atomicWrite makes dir hold exactly payload (relative path -> file), the way
// the kubelet's AtomicWriter does:
//
//  1. if the current timestamped directory already holds payload and nothing
//     else, stop;
//  2. write payload into a new directory ..<timestamp>.<random> and run
//     setPerms on the volume;
//  3. point a new ..data_tmp symlink at it and rename it over ..data: the
//     atomic step;
//  4. add a symlink <name> -> ..data/<name> for each new top-level name and
//     remove those of names that are gone;
//  5. remove the old timestamped directory.
//
// Readers going through the user-visible links see the old set or the new set
// of files, never a mix. It returns whether it wrote.
func atomicWrite(ctx context.Context, dir string, payload map[string]file, now time.Time, setPerms func() error) (bool, error) {
	logger := klog.FromContext(ctx)
	clean := make(map[string]file, len(payload))
	for p, f := range payload {
		if err := validatePayloadPath(p); err != nil {
			return false, err
		}
		clean[filepath.Clean(p)] = f
	}

	dataDir := filepath.Join(dir, dataDirName)
	oldTS, err := os.Readlink(dataDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("read %s: %w", dataDir, err)
	}
	var toRemove map[string]bool
	if oldTS != "" {
		oldPath := filepath.Join(dir, oldTS)
		if toRemove, err = visiblePathsToRemove(clean, oldPath); err != nil {
			return false, err
		}
		changed, err := payloadChanged(clean, oldPath)
		if err != nil {
			return false, err
		}
		if !changed && len(toRemove) == 0 {
			return false, nil
		}
	}

	tsDir, err := os.MkdirTemp(dir, now.UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return false, fmt.Errorf("create timestamped directory: %w", err)
	}
	if err := os.Chmod(tsDir, 0o755); err != nil {
		return false, fmt.Errorf("set mode of %s: %w", tsDir, err)
	}
	tsName := filepath.Base(tsDir)
	if err := writePayload(clean, tsDir); err != nil {
		_ = os.RemoveAll(tsDir)
		return false, err
	}
	if setPerms != nil {
		if err := setPerms(); err != nil {
			_ = os.RemoveAll(tsDir)
			return false, err
		}
	}
	newDataDir := filepath.Join(dir, newDataDirName)
	// A crash between symlink and rename leaves ..data_tmp behind.
	if err := os.Remove(newDataDir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("remove stale %s: %w", newDataDir, err)
	}
	if err := os.Symlink(tsName, newDataDir); err != nil {
		_ = os.RemoveAll(tsDir)
		return false, fmt.Errorf("create %s: %w", newDataDir, err)
	}
	if err := os.Rename(newDataDir, dataDir); err != nil {
		_ = os.Remove(newDataDir)
		_ = os.RemoveAll(tsDir)
		return false, fmt.Errorf("swap %s: %w", dataDir, err)
	}
	if err := createVisibleLinks(clean, dir); err != nil {
		return true, err
	}
	for p := range toRemove {
		// Only top-level names have links of their own; nested paths went
		// with the old timestamped directory.
		if strings.Contains(p, "/") {
			continue
		}
		if err := os.Remove(filepath.Join(dir, p)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return true, fmt.Errorf("remove stale path %s: %w", p, err)
		}
	}
	if oldTS != "" {
		if err := os.RemoveAll(filepath.Join(dir, oldTS)); err != nil {
			return true, fmt.Errorf("remove old data directory %s: %w", oldTS, err)
		}
	}
	logger.V(4).Info("Wrote volume contents", "path", dir, "dataDir", tsName, "files", len(clean))
	return true, nil
}

// validatePayloadPath rejects paths that could escape the volume or collide
// with the writer's own ..-prefixed names.
func validatePayloadPath(p string) error {
	if p == "" {
		return fmt.Errorf("invalid path: must not be empty: %q", p)
	}
	if path.IsAbs(p) {
		return fmt.Errorf("invalid path: must be relative path: %s", p)
	}
	if len(p) > maxPathLen {
		return fmt.Errorf("invalid path: must be less than or equal to %d characters", maxPathLen)
	}
	items := strings.Split(p, "/")
	for _, item := range items {
		if item == ".." {
			return fmt.Errorf("invalid path: must not contain '..': %s", p)
		}
		if len(item) > maxFileNameLen {
			return fmt.Errorf("invalid path: filenames must be less than or equal to %d characters", maxFileNameLen)
		}
	}
	if strings.HasPrefix(items[0], "..") && len(items[0]) > 2 {
		return fmt.Errorf("invalid path: must not start with '..': %s", p)
	}
	return nil
}

func payloadChanged(payload map[string]file, oldDir string) (bool, error) {
	for p, f := range payload {
		onDisk, err := os.ReadFile(filepath.Join(oldDir, p))
		if errors.Is(err, os.ErrNotExist) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("read current %s: %w", p, err)
		}
		// Only contents are compared, as upstream: modes come from the pod
		// spec, which cannot change.
		if !bytes.Equal(onDisk, f.data) {
			return true, nil
		}
	}
	return false, nil
}

// visiblePathsToRemove returns the paths in the current data directory that the
// new payload no longer has (neither as a file nor as a parent directory).
func visiblePathsToRemove(payload map[string]file, oldDir string) (map[string]bool, error) {
	current := map[string]bool{}
	err := filepath.WalkDir(oldDir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if rel := strings.TrimPrefix(strings.TrimPrefix(p, oldDir), "/"); rel != "" {
			current[rel] = true
		}
		return nil
	})
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list current volume contents: %w", err)
	}
	for p := range payload {
		for sub := p; sub != "." && sub != "/" && sub != ""; sub = filepath.Dir(sub) {
			delete(current, sub)
		}
	}
	return current, nil
}

func writePayload(payload map[string]file, dir string) error {
	for p, f := range payload {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), os.ModePerm); err != nil {
			return fmt.Errorf("create directory for %s: %w", p, err)
		}
		mode := os.FileMode(f.mode) & os.ModePerm
		if err := os.WriteFile(full, f.data, mode); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		// WriteFile's mode is masked by the umask.
		if err := os.Chmod(full, mode); err != nil {
			return fmt.Errorf("set mode of %s: %w", p, err)
		}
	}
	return nil
}

func createVisibleLinks(payload map[string]file, dir string) error {
	for p := range payload {
		top, _, _ := strings.Cut(p, "/")
		link := filepath.Join(dir, top)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join(dataDirName, top), link); err != nil {
			return fmt.Errorf("create link %s: %w", top, err)
		}
	}
	return nil
}
