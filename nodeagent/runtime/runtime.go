package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/errdefs"
	"k8s.io/klog/v2"
)

// Labels kubeshim puts on containerd containers. They are the runtime's
// memory: everything needed to rebuild pod state after an agent restart.
const (
	LabelKind          = "io.kubeshim.kind" // "sandbox" or "container"
	LabelPodUID        = "io.kubeshim.pod.uid"
	LabelPodName       = "io.kubeshim.pod.name"
	LabelPodNamespace  = "io.kubeshim.pod.namespace"
	LabelSandboxID     = "io.kubeshim.sandbox.id"
	LabelContainerName = "io.kubeshim.container.name"
	LabelContainerType = "io.kubeshim.container.type" // "init", "app" or "ephemeral"
	LabelAttempt       = "io.kubeshim.attempt"
	LabelLogPath       = "io.kubeshim.log.path"
	LabelHash          = "io.kubeshim.container.hash"
	LabelStartedAt     = "io.kubeshim.started-at"
	LabelFinishedAt    = "io.kubeshim.finished-at"
	LabelExitCode      = "io.kubeshim.exit-code"
	LabelReason        = "io.kubeshim.reason"
	LabelMessage       = "io.kubeshim.message"
	LabelNetNS         = "io.kubeshim.netns"
	LabelHostNetwork   = "io.kubeshim.host-network"

	KindSandbox   = "sandbox"
	KindContainer = "container"
)

// Config says where containerd is and where the runtime keeps its files.
type Config struct {
	// Address is containerd's socket.
	Address string
	// Namespace is the containerd namespace holding everything of this agent.
	Namespace string
	// StateDir holds network namespaces, FIFOs and per-container files.
	StateDir string
	// LogDir holds container logs (<ns>_<pod>_<uid>/<container>/<attempt>.log).
	LogDir string
	// PauseImage is the image of the sandbox container.
	PauseImage string
	// DisablePulls refuses every pull: images must be imported. Hosts
	// that must not reach a registry (or even resolve its name) use it.
	DisablePulls bool
}

// Runtime runs sandboxes and containers on containerd.
type Runtime struct {
	config Config
	client *containerd.Client

	mu  sync.Mutex
	ios map[string]*containerIO // by container ID, for running containers
	oom map[string]bool         // container IDs the kernel OOM-killed

	// Exits receives the ID of every container whose task exits.
	exits chan string

	// beforeRecordExit, when set (by tests, under mu), runs between a
	// task's exit and the watcher's record of it.
	beforeRecordExit func()
}

// New connects to containerd.
func New(ctx context.Context, config Config) (*Runtime, error) {
	client, err := containerd.New(config.Address, containerd.WithDefaultNamespace(config.Namespace), containerd.WithTimeout(10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to containerd at %s: %w", config.Address, err)
	}
	return &Runtime{
		config: config,
		client: client,
		ios:    map[string]*containerIO{},
		oom:    map[string]bool{},
		exits:  make(chan string, 1024),
	}, nil
}

// Client is the containerd client, for image import.
func (r *Runtime) Client() *containerd.Client { return r.client }

// Close closes the connection; running containers keep running.
func (r *Runtime) Close() error { return r.client.Close() }

// Version is containerd's version, as node status reports it.
func (r *Runtime) Version(ctx context.Context) (string, error) {
	v, err := r.client.Version(r.ctx(ctx))
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(strings.SplitN(v.Version, "~", 2)[0], "v"), nil
}

// Exits delivers the IDs of containers whose tasks exited.
func (r *Runtime) Exits() <-chan string { return r.exits }

func (r *Runtime) ctx(ctx context.Context) context.Context {
	return namespaces.WithNamespace(ctx, r.config.Namespace)
}

// newID returns a 64-hex-digit container ID, as docker and containerd's CRI do.
func newID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Info is what the runtime knows about one container or sandbox.
type Info struct {
	ID     string
	Labels map[string]string
	Image  string
	// ImageID is the image's config digest (what `docker images` calls the ID).
	ImageID string
	// State is "created", "running", "exited" or "unknown".
	State      string
	Pid        uint32
	CreatedAt  time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	ExitCode   int32
	Reason     string
	Message    string
}

func (i *Info) Attempt() int {
	n, _ := strconv.Atoi(i.Labels[LabelAttempt])
	return n
}

// List returns every container and sandbox of this agent whose labels
// match all of the given ones.
func (r *Runtime) List(ctx context.Context, match map[string]string) ([]*Info, error) {
	ctx = r.ctx(ctx)
	var filters []string
	for k, v := range match {
		filters = append(filters, fmt.Sprintf("labels.%q==%s", k, v))
	}
	var filter []string
	if len(filters) > 0 {
		filter = []string{strings.Join(filters, ",")}
	}
	cs, err := r.client.Containers(ctx, filter...)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := make([]*Info, 0, len(cs))
	for _, c := range cs {
		info, err := r.inspect(ctx, c)
		if errdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// Inspect returns one container's info.
func (r *Runtime) Inspect(ctx context.Context, id string) (*Info, error) {
	ctx = r.ctx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return nil, err
	}
	return r.inspect(ctx, c)
}

func (r *Runtime) inspect(ctx context.Context, c containerd.Container) (*Info, error) {
	meta, err := c.Info(ctx, containerd.WithoutRefreshedMetadata)
	if err != nil {
		return nil, err
	}
	info := &Info{ID: c.ID(), Labels: meta.Labels, Image: meta.Image, CreatedAt: meta.CreatedAt, State: "created"}
	if info.Labels == nil {
		info.Labels = map[string]string{}
	}
	if img, err := r.client.GetImage(ctx, meta.Image); err == nil {
		if cfg, err := img.Config(ctx); err == nil {
			info.ImageID = cfg.Digest.String()
		}
	}
	info.StartedAt = parseTime(info.Labels[LabelStartedAt])
	if recordedExit(info) {
		return info, nil
	}
	task, err := c.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		return r.taskGone(ctx, c, info), nil
	}
	if err != nil {
		return nil, err
	}
	st, err := task.Status(ctx)
	if err != nil {
		// The watcher may have deleted the task since it was loaded: the
		// shim is then gone, and the exit is in the labels.
		if gone := r.taskGone(ctx, c, info); gone.State == "exited" {
			return gone, nil
		}
		info.State = "unknown"
		return info, nil
	}
	info.Pid = task.Pid()
	switch st.Status {
	case containerd.Running, containerd.Paused, containerd.Pausing:
		info.State = "running"
	case containerd.Stopped:
		// Exited, and watch has not recorded it yet. It will in a moment
		// (once the output is drained: at most 2 s), with what the status
		// must carry: the termination message, OOMKilled. A status written
		// without them would be the pod's last (a pod that succeeds is
		// final), so wait for the record first.
		if recorded := r.awaitExitRecord(ctx, c, info); recorded != nil {
			return recorded, nil
		}
		info.State = "exited"
		info.ExitCode = int32(st.ExitStatus)
		info.FinishedAt = st.ExitTime
		info.Reason = "Completed"
		if info.ExitCode != 0 {
			info.Reason = "Error"
		}
	case containerd.Created:
		info.State = "created"
	default:
		info.State = "unknown"
	}
	return info, nil
}

// awaitExitRecord rereads the labels of a container whose task has stopped
// until the exit watcher has recorded the exit, for up to 3 s; nil if it
// has not by then (the caller reports the task's status).
func (r *Runtime) awaitExitRecord(ctx context.Context, c containerd.Container, info *Info) *Info {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(10 * time.Millisecond):
		}
		labels, err := c.Labels(ctx)
		if err != nil {
			return nil
		}
		got := *info
		got.Labels = labels
		if recordedExit(&got) {
			return &got
		}
	}
	return nil
}

// taskGone reports a container whose task is not there (or no longer
// answers). The labels inspect read may predate the exit: the watcher
// records it and then deletes the task, possibly between the two reads. So
// they are read again before the task is called lost.
func (r *Runtime) taskGone(ctx context.Context, c containerd.Container, info *Info) *Info {
	if labels, err := c.Labels(ctx); err == nil {
		info.Labels = labels
		if recordedExit(info) {
			return info
		}
	}
	if _, err := c.Task(ctx, nil); err == nil {
		return info // still there: not gone, whatever failed before
	}
	if !info.StartedAt.IsZero() {
		// Started once, task gone without a recorded exit: containerd
		// lost it (a host reboot, a killed shim). Report it as exited.
		info.State = "exited"
		info.ExitCode = 255
		info.Reason = "Unknown"
		info.FinishedAt = info.StartedAt
	}
	return info
}

// recordedExit fills info from the exit the watcher recorded in the labels,
// if it did: the task is then deleted.
func recordedExit(info *Info) bool {
	fin := info.Labels[LabelFinishedAt]
	if fin == "" {
		return false
	}
	info.State = "exited"
	info.FinishedAt = parseTime(fin)
	code, _ := strconv.Atoi(info.Labels[LabelExitCode])
	info.ExitCode = int32(code)
	info.Reason = info.Labels[LabelReason]
	info.Message = info.Labels[LabelMessage]
	return true
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func (r *Runtime) netnsPath(sandboxID string) string {
	return filepath.Join(r.config.StateDir, "netns", sandboxID)
}

func (r *Runtime) containerDir(id string) string {
	return filepath.Join(r.config.StateDir, "containers", id)
}

func logger(ctx context.Context) klog.Logger { return klog.FromContext(ctx) }
