package stats

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
	"k8s.io/utils/clock"
)

const (
	// DefaultCgroupRoot is where the cgroup hierarchies are mounted.
	DefaultCgroupRoot = "/sys/fs/cgroup"
	// DefaultProcRoot is procfs.
	DefaultProcRoot = "/proc"

	// unlimitedMemory is the kubelet's threshold above which a memory limit counts as
	// none: v1 reports "no limit" as a page-rounded huge number, not MaxInt64.
	unlimitedMemory = uint64(1 << 62)

	// userHZ is the unit of /proc/stat's CPU times on Linux (USER_HZ is 100 on every
	// architecture Go supports).
	userHZ = 100
)

// Config says where to read from. The zero value reads this host.
type Config struct {
	// CgroupRoot is the cgroupfs mount point; empty means DefaultCgroupRoot.
	CgroupRoot string
	// ProcRoot is procfs; empty means DefaultProcRoot.
	ProcRoot string
	// Clock stamps each reading; nil means the real clock.
	Clock clock.PassiveClock
}

// Reader reads usage from cgroupfs and procfs. It holds no open files: each call reads
// the files afresh, so a Reader is safe for concurrent use.
type Reader struct {
	v2 bool
	// cpuDir and memDir are the roots of the hierarchies that hold the cpuacct and memory
	// controllers (both the unified root in v2).
	cpuDir, memDir string
	proc           string
	clock          clock.PassiveClock
}

// New finds the cgroup layout under cfg.CgroupRoot: v2 when the root is the unified
// hierarchy (it has cgroup.controllers), else v1 with cpuacct and memory hierarchies.
func New(cfg Config) (*Reader, error) {
	if cfg.CgroupRoot == "" {
		cfg.CgroupRoot = DefaultCgroupRoot
	}
	if cfg.ProcRoot == "" {
		cfg.ProcRoot = DefaultProcRoot
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	r := &Reader{proc: cfg.ProcRoot, clock: cfg.Clock}
	if exists(filepath.Join(cfg.CgroupRoot, "cgroup.controllers")) {
		r.v2, r.cpuDir, r.memDir = true, cfg.CgroupRoot, cfg.CgroupRoot
		return r, nil
	}
	// cpuacct is mounted alone or co-mounted with cpu, in either order.
	for _, name := range []string{"cpuacct", "cpu,cpuacct", "cpuacct,cpu"} {
		if dir := filepath.Join(cfg.CgroupRoot, name); exists(filepath.Join(dir, "cpuacct.usage")) {
			r.cpuDir = dir
			break
		}
	}
	if dir := filepath.Join(cfg.CgroupRoot, "memory"); exists(filepath.Join(dir, "memory.usage_in_bytes")) {
		r.memDir = dir
	}
	if r.cpuDir == "" && r.memDir == "" {
		return nil, fmt.Errorf("no cgroup v2 hierarchy and no cgroup v1 cpuacct or memory hierarchy under %s", cfg.CgroupRoot)
	}
	return r, nil
}

// V2 reports whether the host uses the unified hierarchy.
func (r *Reader) V2() bool { return r.v2 }

// Cgroup returns the usage of the cgroup at path (relative to each hierarchy's root, as
// in an OCI spec's cgroupsPath). Each of CPU and memory is returned when it could be
// read; err joins what could not, and wraps fs.ErrNotExist for a cgroup that is gone.
func (r *Reader) Cgroup(path string) (*statsv1alpha1.CPUStats, *statsv1alpha1.MemoryStats, error) {
	now := metav1.NewTime(r.clock.Now())
	cpu, cpuErr := r.cgroupCPU(path, now)
	mem, memErr := r.cgroupMemory(path, now)
	return cpu, mem, errors.Join(cpuErr, memErr)
}

// Node returns the node's usage: the root cgroup's where it accounts for everything, and
// procfs where it does not (cgroup v2 memory; CPU without a root cpu.stat).
func (r *Reader) Node() (*statsv1alpha1.CPUStats, *statsv1alpha1.MemoryStats, error) {
	now := metav1.NewTime(r.clock.Now())
	var cpu *statsv1alpha1.CPUStats
	var cpuErr error
	if !r.v2 && r.cpuDir != "" || r.v2 && exists(filepath.Join(r.cpuDir, "cpu.stat")) {
		cpu, cpuErr = r.cgroupCPU("/", now)
	} else {
		cpu, cpuErr = r.procCPU(now)
	}
	meminfo, infoErr := r.meminfo()
	var mem *statsv1alpha1.MemoryStats
	var memErr error
	switch {
	case !r.v2 && r.memDir != "":
		mem, memErr = r.cgroupMemory("/", now)
	case infoErr != nil:
		memErr = infoErr
	default:
		mem = memoryFromMeminfo(meminfo, now)
	}
	// The node's available memory is its capacity less the working set, as the kubelet
	// computes it; the root cgroup has no limit to subtract from.
	if mem != nil && mem.WorkingSetBytes != nil && infoErr == nil {
		if total, ok := meminfo["MemTotal"]; ok {
			avail := sub(total, *mem.WorkingSetBytes)
			mem.AvailableBytes = &avail
		}
	}
	return cpu, mem, errors.Join(cpuErr, memErr)
}

// BootTime is when the node booted (/proc/stat btime): the node's start time in the
// summary, as cAdvisor's root container reports it.
func (r *Reader) BootTime() (time.Time, error) {
	b, err := os.ReadFile(filepath.Join(r.proc, "stat"))
	if err != nil {
		return time.Time{}, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("parse btime in %s: %w", filepath.Join(r.proc, "stat"), err)
			}
			return time.Unix(sec, 0), nil
		}
	}
	return time.Time{}, fmt.Errorf("no btime in %s", filepath.Join(r.proc, "stat"))
}

func (r *Reader) cgroupCPU(path string, now metav1.Time) (*statsv1alpha1.CPUStats, error) {
	if r.cpuDir == "" {
		return nil, errors.New("no cpuacct cgroup hierarchy")
	}
	dir := filepath.Join(r.cpuDir, path)
	var usage uint64
	if r.v2 {
		stat, err := readKeyValues(filepath.Join(dir, "cpu.stat"))
		if err != nil {
			return nil, err
		}
		usec, ok := stat["usage_usec"]
		if !ok {
			return nil, fmt.Errorf("no usage_usec in %s", filepath.Join(dir, "cpu.stat"))
		}
		usage = usec * uint64(time.Microsecond)
	} else {
		var err error
		if usage, err = readUint(filepath.Join(dir, "cpuacct.usage")); err != nil {
			return nil, err
		}
	}
	return &statsv1alpha1.CPUStats{Time: now, UsageCoreNanoSeconds: &usage}, nil
}

// procCPU sums the busy CPU time of /proc/stat's first line. guest and guest_nice are
// already counted in user and nice; idle and iowait are not busy.
func (r *Reader) procCPU(now metav1.Time) (*statsv1alpha1.CPUStats, error) {
	path := filepath.Join(r.proc, "stat")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return nil, fmt.Errorf("unexpected first line of %s: %q", path, line)
	}
	var ticks uint64
	// user nice system idle iowait irq softirq steal
	for i, f := range fields[1:9] {
		if i == 3 || i == 4 {
			continue
		}
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
		ticks += n
	}
	usage := ticks * uint64(time.Second/userHZ)
	return &statsv1alpha1.CPUStats{Time: now, UsageCoreNanoSeconds: &usage}, nil
}

func (r *Reader) cgroupMemory(path string, now metav1.Time) (*statsv1alpha1.MemoryStats, error) {
	if r.memDir == "" {
		return nil, errors.New("no memory cgroup hierarchy")
	}
	dir := filepath.Join(r.memDir, path)
	// v1's memory.stat has the cgroup's own counters and, prefixed total_, its
	// subtree's; usage_in_bytes is the subtree's, so the totals go with it. v2's are
	// hierarchical already.
	usageFile, limitFile, prefix, rssKey := "memory.current", "memory.max", "", "anon"
	if !r.v2 {
		usageFile, limitFile, prefix, rssKey = "memory.usage_in_bytes", "memory.limit_in_bytes", "total_", "total_rss"
	}
	usage, err := readUint(filepath.Join(dir, usageFile))
	if err != nil {
		return nil, err
	}
	stat, err := readKeyValues(filepath.Join(dir, "memory.stat"))
	if err != nil {
		return nil, err
	}
	ws := sub(usage, stat[prefix+"inactive_file"])
	m := &statsv1alpha1.MemoryStats{Time: now, UsageBytes: &usage, WorkingSetBytes: &ws}
	if v, ok := stat[rssKey]; ok {
		m.RSSBytes = &v
	}
	if v, ok := stat[prefix+"pgfault"]; ok {
		m.PageFaults = &v
	}
	if v, ok := stat[prefix+"pgmajfault"]; ok {
		m.MajorPageFaults = &v
	}
	// No limit file (the root) or "max" (v2's no limit) leave AvailableBytes unset.
	if limit, err := readUint(filepath.Join(dir, limitFile)); err == nil && limit <= unlimitedMemory {
		avail := sub(limit, ws)
		m.AvailableBytes = &avail
	}
	return m, nil
}

// memoryFromMeminfo is the node's memory where no cgroup accounts for all of it: used
// is everything not free, as runc computes the v2 root's usage.
func memoryFromMeminfo(info map[string]uint64, now metav1.Time) *statsv1alpha1.MemoryStats {
	usage := sub(info["MemTotal"], info["MemFree"])
	ws := sub(usage, info["Inactive(file)"])
	m := &statsv1alpha1.MemoryStats{Time: now, UsageBytes: &usage, WorkingSetBytes: &ws}
	if v, ok := info["AnonPages"]; ok {
		m.RSSBytes = &v
	}
	return m
}

// meminfo returns /proc/meminfo's values in bytes.
func (r *Reader) meminfo() (map[string]uint64, error) {
	path := filepath.Join(r.proc, "meminfo")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse %s in %s: %w", name, path, err)
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		out[name] = n
	}
	if _, ok := out["MemTotal"]; !ok {
		return nil, fmt.Errorf("no MemTotal in %s", path)
	}
	return out, nil
}

// readUint reads a file holding one number. "max" (a v2 limit) is an error: callers
// treat it as no value.
func readUint(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", path, err)
	}
	return n, nil
}

// readKeyValues reads a flat-keyed file of "key value" lines (memory.stat, cpu.stat).
func readKeyValues(path string) (map[string]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			continue
		}
		n, err := strconv.ParseUint(fields[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse %s in %s: %w", fields[0], path, err)
		}
		out[fields[0]] = n
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// sub is a-b, or 0 when b is larger: inactive file pages can exceed usage for a moment
// as the kernel updates them apart, and cAdvisor clamps the same way.
func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
