package volumes

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// mountInfoPath is read to find mount points; the agent's own mount namespace
// is the one it mounts in.
const mountInfoPath = "/proc/self/mountinfo"

type mountPoint struct {
	path   string
	fsType string
}

// readMounts parses mountinfo: "id parent maj:min root mountpoint opts
// [optional fields...] - fstype source superopts".
func readMounts() ([]mountPoint, error) {
	data, err := os.ReadFile(mountInfoPath)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", mountInfoPath, err)
	}
	return parseMountInfo(data)
}

func parseMountInfo(data []byte) ([]mountPoint, error) {
	var out []mountPoint
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		sep := -1
		for i := 6; i < len(fields); i++ {
			if fields[i] == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 7 || sep < 0 || sep+1 >= len(fields) {
			return nil, fmt.Errorf("parse %s: malformed line %q", mountInfoPath, sc.Text())
		}
		out = append(out, mountPoint{path: unescapeOctal(fields[4]), fsType: fields[sep+1]})
	}
	return out, sc.Err()
}

// unescapeOctal undoes the kernel's \ooo escaping of space, tab, newline and
// backslash in mount paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// realPath resolves symlinks in p as far as it exists, so it compares with
// the real paths mountinfo shows.
func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

// mountsUnder returns the mount points at dir or below it.
func mountsUnder(dir string) ([]string, error) {
	dir = realPath(dir)
	mounts, err := readMounts()
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, mp := range mounts {
		if (mp.path == dir || strings.HasPrefix(mp.path, dir+"/")) && !seen[mp.path] {
			seen[mp.path] = true
			out = append(out, mp.path)
		}
	}
	return out, nil
}

// mountedFSType returns the type of the file system mounted at dir, or "" if
// dir is not a mount point. The last entry wins: it is the one on top.
func mountedFSType(dir string) (string, error) {
	dir = realPath(dir)
	mounts, err := readMounts()
	if err != nil {
		return "", err
	}
	fsType := ""
	for _, mp := range mounts {
		if mp.path == dir {
			fsType = mp.fsType
		}
	}
	return fsType, nil
}

func mountTmpfs(dir string, sizeBytes int64) error {
	var opts string
	if sizeBytes > 0 {
		opts = "size=" + strconv.FormatInt(sizeBytes, 10)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		return fmt.Errorf("mount tmpfs at %s: %w", dir, err)
	}
	return nil
}

// unmount unmounts dir, lazily if it is busy: Teardown runs after the pod's
// containers are gone, and a detached mount is freed when its last user goes.
func unmount(dir string) error {
	err := syscall.Unmount(dir, 0)
	if errors.Is(err, syscall.EBUSY) {
		err = syscall.Unmount(dir, syscall.MNT_DETACH)
	}
	if err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("unmount %s: %w", dir, err)
	}
	return nil
}
