package node

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const meminfo = `MemTotal:        8000000 kB
MemFree:         1000000 kB
MemAvailable:    6000000 kB
Buffers:          100000 kB
Cached:          2000000 kB
HugePages_Total:       0
`

func TestHostMachine(t *testing.T) {
	base := map[string]string{
		"proc/meminfo":                   meminfo,
		"etc/machine-id":                 "abc123\n",
		"sys/class/dmi/id/product_uuid":  "UUID-1\n",
		"proc/sys/kernel/random/boot_id": "boot-1\n",
		"proc/sys/kernel/osrelease":      "6.1.0-18-amd64\n",
		"etc/os-release":                 "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
		"sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages":    "0\n",
		"sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages": "2\n",
	}
	tests := []struct {
		name   string
		change map[string]string // "" removes a file
		want   func(*MachineInfo)
	}{
		{"full", nil, func(*MachineInfo) {}},
		{"unquoted pretty name", map[string]string{"etc/os-release": "PRETTY_NAME=Alpine\n"}, func(m *MachineInfo) { m.OSImage = "Alpine" }},
		{"no os-release", map[string]string{"etc/os-release": ""}, func(m *MachineInfo) { m.OSImage = "Linux" }},
		{"dbus machine id", map[string]string{"etc/machine-id": "", "var/lib/dbus/machine-id": "dbus1\n"}, func(m *MachineInfo) { m.MachineID = "dbus1" }},
		{"no product uuid", map[string]string{"sys/class/dmi/id/product_uuid": ""}, func(m *MachineInfo) { m.SystemUUID = "" }},
		{"no huge pages", map[string]string{
			"sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages":    "",
			"sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages": "",
		}, func(m *MachineInfo) { m.HugePages = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			files := map[string]string{}
			for k, v := range base {
				files[k] = v
			}
			for k, v := range tt.change {
				files[k] = v
			}
			for k, v := range files {
				if v == "" {
					delete(files, k)
				}
			}
			writeFiles(t, root, files)
			if tt.name == "no huge pages" {
				os.RemoveAll(filepath.Join(root, "sys/kernel/mm/hugepages"))
			}
			got, err := NewHost(root).Machine()
			if err != nil {
				t.Fatalf("Machine: %v", err)
			}
			want := MachineInfo{
				MachineID: "abc123", SystemUUID: "UUID-1", BootID: "boot-1",
				KernelVersion: "6.1.0-18-amd64", OSImage: "Debian GNU/Linux 12 (bookworm)",
				NumCPU: got.NumCPU, MemoryBytes: 8000000 * 1024,
				HugePages: []HugePages{
					{PageSizeBytes: 2 << 20, TotalBytes: 0},
					{PageSizeBytes: 1 << 30, TotalBytes: 2 << 30},
				},
			}
			tt.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("machine (-want +got):\n%s", diff)
			}
			if got.NumCPU < 1 {
				t.Errorf("NumCPU = %d", got.NumCPU)
			}
		})
	}
}

func TestHostMemoryAndTasks(t *testing.T) {
	tests := []struct {
		name      string
		files     map[string]string
		wantMem   MemoryStats
		wantTasks TaskStats
		wantErr   bool
	}{
		{
			name: "modern kernel",
			files: map[string]string{
				"proc/meminfo": meminfo, "proc/loadavg": "0.10 0.20 0.30 2/345 6789\n",
				"proc/sys/kernel/pid_max": "4194304\n", "proc/sys/kernel/threads-max": "127000\n",
			},
			wantMem:   MemoryStats{TotalBytes: 8000000 * 1024, AvailableBytes: 6000000 * 1024},
			wantTasks: TaskStats{Max: 127000, Running: 345},
		},
		{
			name: "no MemAvailable, no threads-max",
			files: map[string]string{
				"proc/meminfo": "MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 1 kB\nCached: 20 kB\n",
				"proc/loadavg": "0 0 0 1/50 1\n", "proc/sys/kernel/pid_max": "32768\n",
			},
			wantMem:   MemoryStats{TotalBytes: 100 * 1024, AvailableBytes: 31 * 1024},
			wantTasks: TaskStats{Max: 32768, Running: 50},
		},
		{
			name:    "nothing readable",
			files:   map[string]string{},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tt.files)
			h := NewHost(root)
			mem, err := h.Memory()
			tasks, err2 := h.Tasks()
			if tt.wantErr {
				if err == nil || err2 == nil {
					t.Errorf("Memory err %v, Tasks err %v; want both to fail", err, err2)
				}
				return
			}
			if err != nil || err2 != nil {
				t.Fatalf("Memory err %v, Tasks err %v", err, err2)
			}
			if diff := cmp.Diff(tt.wantMem, mem); diff != "" {
				t.Errorf("memory (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantTasks, tasks); diff != "" {
				t.Errorf("tasks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHostFilesystem(t *testing.T) {
	fs, err := NewHost("/").Filesystem(t.TempDir())
	if err != nil {
		t.Fatalf("Filesystem: %v", err)
	}
	if fs.CapacityBytes <= 0 || fs.AvailableBytes < 0 || fs.AvailableBytes > fs.CapacityBytes {
		t.Errorf("implausible statfs: %+v", fs)
	}
	if _, err := NewHost("/").Filesystem(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("statfs of a missing path succeeded")
	}
}

// TestHostThisMachine reads the real machine: it must have memory, a boot
// ID and a kernel version on any Linux host.
func TestHostThisMachine(t *testing.T) {
	m, err := NewHost("/").Machine()
	if err != nil {
		t.Fatalf("Machine: %v", err)
	}
	if m.MemoryBytes <= 0 || m.BootID == "" || m.KernelVersion == "" || m.OSImage == "" {
		t.Errorf("implausible machine: %+v", m)
	}
	if _, err := NewHost("/").Tasks(); err != nil {
		t.Errorf("Tasks: %v", err)
	}
}
