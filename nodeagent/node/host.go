package node

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Host reads the facts about this machine that the node status reports and
// the pressure conditions compare with their thresholds. NewHost("/") reads
// the real machine; tests inject their own.
type Host interface {
	// Machine returns what rarely changes: identity, kernel, CPUs,
	// memory and huge pages.
	Machine() (MachineInfo, error)
	// Memory returns the memory the pressure condition compares.
	Memory() (MemoryStats, error)
	// Filesystem returns the usage of the filesystem that holds path.
	Filesystem(path string) (FSStats, error)
	// Tasks returns the task (process and thread) limit and count.
	Tasks() (TaskStats, error)
}

// MachineInfo is what cadvisor's MachineInfo and VersionInfo give the
// kubelet upstream.
type MachineInfo struct {
	MachineID     string
	SystemUUID    string
	BootID        string
	KernelVersion string
	OSImage       string
	NumCPU        int
	// MemoryBytes is MemTotal.
	MemoryBytes int64
	// HugePages lists the page sizes the kernel supports, preallocated or not.
	HugePages []HugePages
}

// HugePages is one huge page size and how many bytes of it are preallocated.
type HugePages struct {
	PageSizeBytes int64
	TotalBytes    int64
}

// MemoryStats is the memory of the whole machine.
type MemoryStats struct {
	TotalBytes int64
	// AvailableBytes is MemAvailable: what can be allocated without
	// swapping. Upstream's memory.available signal is capacity minus the
	// root cgroup's working set; MemAvailable is the kernel's own estimate
	// of the same quantity and needs no cgroup walk.
	AvailableBytes int64
}

// FSStats is statfs(2) of one filesystem, in bytes and inodes.
type FSStats struct {
	CapacityBytes  int64
	AvailableBytes int64
	Inodes         int64
	InodesFree     int64
}

// TaskStats is upstream's pid.available signal input
// (pkg/kubelet/stats/pidlimit): the smaller of kernel.pid_max and
// kernel.threads-max, and the number of tasks /proc/loadavg counts.
type TaskStats struct {
	Max     int64
	Running int64
}

// NewHost returns the Host that reads the files below root ("/" for this
// machine): proc, sys and etc. Filesystem statfs's the path it is given,
// which is not joined with root.
func NewHost(root string) Host {
	return &procHost{root: root}
}

type procHost struct {
	root string
}

func (h *procHost) path(p string) string { return filepath.Join(h.root, p) }

// readTrimmed returns the file's content without surrounding space, or ""
// when it cannot be read: the identity files are optional on many machines.
func (h *procHost) readTrimmed(p string) string {
	b, err := os.ReadFile(h.path(p))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func (h *procHost) Machine() (MachineInfo, error) {
	mem, err := h.meminfo()
	if err != nil {
		return MachineInfo{}, err
	}
	info := MachineInfo{
		NumCPU:        runtime.NumCPU(),
		MemoryBytes:   mem["MemTotal"],
		MachineID:     h.readTrimmed("/etc/machine-id"),
		SystemUUID:    h.readTrimmed("/sys/class/dmi/id/product_uuid"),
		BootID:        h.readTrimmed("/proc/sys/kernel/random/boot_id"),
		KernelVersion: h.readTrimmed("/proc/sys/kernel/osrelease"),
		OSImage:       h.osImage(),
	}
	if info.MachineID == "" {
		info.MachineID = h.readTrimmed("/var/lib/dbus/machine-id")
	}
	info.HugePages, err = h.hugePages()
	if err != nil {
		return MachineInfo{}, err
	}
	return info, nil
}

// osImage is PRETTY_NAME from os-release, or "Linux" as cadvisor reports
// when there is none.
func (h *procHost) osImage() string {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, err := os.ReadFile(h.path(p))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			v, ok := strings.CutPrefix(strings.TrimSpace(line), "PRETTY_NAME=")
			if !ok {
				continue
			}
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			} else {
				v = strings.Trim(v, `'"`)
			}
			if v != "" {
				return v
			}
		}
	}
	return "Linux"
}

// hugePages lists /sys/kernel/mm/hugepages/hugepages-<size>kB. A kernel
// without huge pages has no such directory, which is not an error.
func (h *procHost) hugePages() ([]HugePages, error) {
	dir := h.path("/sys/kernel/mm/hugepages")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read huge page sizes: %w", err)
	}
	var pages []HugePages
	for _, e := range entries {
		s, ok := strings.CutPrefix(e.Name(), "hugepages-")
		if !ok {
			continue
		}
		s, ok = strings.CutSuffix(s, "kB")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			continue
		}
		n, err := readInt(filepath.Join(dir, e.Name(), "nr_hugepages"))
		if err != nil {
			return nil, fmt.Errorf("read huge pages of %s: %w", e.Name(), err)
		}
		pages = append(pages, HugePages{PageSizeBytes: kb * 1024, TotalBytes: n * kb * 1024})
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].PageSizeBytes < pages[j].PageSizeBytes })
	return pages, nil
}

func (h *procHost) Memory() (MemoryStats, error) {
	mem, err := h.meminfo()
	if err != nil {
		return MemoryStats{}, err
	}
	avail, ok := mem["MemAvailable"]
	if !ok {
		// Kernels before 3.14 have no MemAvailable.
		avail = mem["MemFree"] + mem["Buffers"] + mem["Cached"]
	}
	return MemoryStats{TotalBytes: mem["MemTotal"], AvailableBytes: avail}, nil
}

// meminfo returns /proc/meminfo in bytes.
func (h *procHost) meminfo() (map[string]int64, error) {
	b, err := os.ReadFile(h.path("/proc/meminfo"))
	if err != nil {
		return nil, fmt.Errorf("read meminfo: %w", err)
	}
	m := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		if len(fields) > 1 && fields[1] == "kB" {
			v *= 1024
		}
		m[name] = v
	}
	if _, ok := m["MemTotal"]; !ok {
		return nil, fmt.Errorf("read meminfo: no MemTotal")
	}
	return m, nil
}

func (h *procHost) Filesystem(path string) (FSStats, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return FSStats{}, fmt.Errorf("statfs %s: %w", path, err)
	}
	bsize := int64(st.Bsize)
	return FSStats{
		CapacityBytes:  int64(st.Blocks) * bsize,
		AvailableBytes: int64(st.Bavail) * bsize,
		Inodes:         int64(st.Files),
		InodesFree:     int64(st.Ffree),
	}, nil
}

func (h *procHost) Tasks() (TaskStats, error) {
	t := TaskStats{Max: -1}
	for _, p := range []string{"/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"} {
		if v, err := readInt(h.path(p)); err == nil && (t.Max < 0 || v < t.Max) {
			t.Max = v
		}
	}
	if t.Max < 0 {
		return TaskStats{}, fmt.Errorf("read task limit: neither pid_max nor threads-max is readable")
	}
	// The fourth field of loadavg is running/total scheduling entities;
	// upstream prefers it to sysinfo(2), whose count is truncated at 65535.
	b, err := os.ReadFile(h.path("/proc/loadavg"))
	if err != nil {
		return TaskStats{}, fmt.Errorf("read task count: %w", err)
	}
	fields := strings.Fields(string(b))
	if len(fields) < 4 {
		return TaskStats{}, fmt.Errorf("read task count: loadavg has %d fields", len(fields))
	}
	_, total, ok := strings.Cut(fields[3], "/")
	if !ok {
		return TaskStats{}, fmt.Errorf("read task count: loadavg field %q", fields[3])
	}
	t.Running, err = strconv.ParseInt(total, 10, 64)
	if err != nil {
		return TaskStats{}, fmt.Errorf("read task count: %w", err)
	}
	return t, nil
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
