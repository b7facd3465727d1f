package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"

	"github.com/kubeshim/kubeshim/nodeagent/logs"
)

// containerIO connects a container's stdio to its log file, to attached
// clients, and (when the container has stdin) to a pipe attach writes into.
// containerd's shim holds the FIFOs, so a restarted agent reconnects to the
// same streams (reattach) without the container noticing.
type containerIO struct {
	id        string
	dir       string
	tty       bool
	stdinOnce bool
	log       *logs.File
	stdout    *broadcast
	stderr    *broadcast

	stdinR *io.PipeReader
	stdinW *io.PipeWriter

	mu  sync.Mutex
	cio cio.IO
	// removeFIFOs removes the FIFOs, once the container is done.
	removeFIFOs func() error
}

func (r *Runtime) newContainerIO(id string, labels map[string]string) (*containerIO, error) {
	f, err := logs.Open(labels[LabelLogPath])
	if err != nil {
		return nil, err
	}
	c := &containerIO{
		id:        id,
		dir:       r.containerDir(id),
		tty:       labels[labelTTY] == "true",
		stdinOnce: labels[labelStdinOnce] == "true",
		log:       f,
		stdout:    newBroadcast(f.Stream("stdout")),
		stderr:    newBroadcast(f.Stream("stderr")),
	}
	if labels[labelStdin] == "true" {
		c.stdinR, c.stdinW = io.Pipe()
	}
	return c, nil
}

func (c *containerIO) streams() []cio.Opt {
	var in io.Reader
	if c.stdinR != nil {
		in = c.stdinR
	}
	opts := []cio.Opt{cio.WithStreams(in, c.stdout, c.stderr), cio.WithFIFODir(c.dir)}
	if c.tty {
		opts = append(opts, cio.WithTerminal)
	}
	return opts
}

// creator makes the container's FIFOs and attaches to them. cio's own IO
// removes the FIFOs on Close; here that is kept for close, so that detach
// can let go of them while the container runs on.
func (c *containerIO) creator() cio.Creator {
	attach := cio.NewAttach(c.streams()...)
	return func(id string) (cio.IO, error) {
		fifos, err := cio.NewFIFOSetInDir(c.dir, id, c.tty)
		if err != nil {
			return nil, err
		}
		io, err := attach(cio.NewFIFOSet(fifos.Config, nil))
		if err != nil {
			fifos.Close()
			return nil, err
		}
		c.mu.Lock()
		c.cio, c.removeFIFOs = io, fifos.Close
		c.mu.Unlock()
		return io, nil
	}
}

// attacher attaches to the FIFOs of a running container's task.
func (c *containerIO) attacher() cio.Attach {
	attach := cio.NewAttach(c.streams()...)
	return func(set *cio.FIFOSet) (cio.IO, error) {
		if set == nil {
			return nil, fmt.Errorf("cannot attach, missing fifos")
		}
		io, err := attach(cio.NewFIFOSet(set.Config, nil))
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.cio, c.removeFIFOs = io, set.Close
		c.mu.Unlock()
		return io, nil
	}
}

// waitDrained waits for the output copy to reach the end of the streams,
// so the last lines of a container are in its log before its exit is
// reported.
func (c *containerIO) waitDrained(max time.Duration) {
	c.mu.Lock()
	io := c.cio
	c.mu.Unlock()
	if io == nil {
		return
	}
	done := make(chan struct{})
	go func() { io.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(max):
	}
}

// detach lets go of a container that keeps running while the agent stops:
// the log and stream writers are closed, which ends the output copies, but
// the FIFOs stay (cio's Close would remove them) for the next agent to attach
// to. The shim holds their other ends, so the container does not notice.
func (c *containerIO) detach() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cio != nil {
		// Closes this side's ends only: the FIFOs stay.
		c.cio.Cancel()
		c.cio.Close()
		c.cio, c.removeFIFOs = nil, nil
	}
	if c.stdinW != nil {
		c.stdinW.Close()
	}
	c.stdout.closeAll()
	c.stderr.closeAll()
	c.log.Close()
}

func (c *containerIO) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cio != nil {
		c.cio.Cancel()
		c.cio.Close()
		c.cio = nil
	}
	if c.removeFIFOs != nil {
		c.removeFIFOs()
		c.removeFIFOs = nil
	}
	if c.stdinW != nil {
		c.stdinW.Close()
	}
	c.stdout.closeAll()
	c.stderr.closeAll()
	c.log.Close()
}

// broadcast writes to a log stream and to every attached client.
type broadcast struct {
	base io.Writer
	mu   sync.Mutex
	subs map[*subscriber]struct{}
	// partial holds no state: each Write goes to the log and the clients
	// as it came, so attach sees output as the container wrote it.
}

type subscriber struct {
	w    io.Writer
	done chan struct{}
	once sync.Once
}

func (s *subscriber) finish() { s.once.Do(func() { close(s.done) }) }

func newBroadcast(base io.Writer) *broadcast {
	return &broadcast{base: base, subs: map[*subscriber]struct{}{}}
}

func (b *broadcast) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if _, err := s.w.Write(p); err != nil {
			delete(b.subs, s)
			s.finish()
		}
	}
	if _, err := b.base.Write(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// subscribe adds w until the stream ends or unsubscribe is called; the
// returned channel closes when the stream ended or w failed.
func (b *broadcast) subscribe(w io.Writer) (*subscriber, func()) {
	s := &subscriber{w: w, done: make(chan struct{})}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s, func() {
		b.mu.Lock()
		delete(b.subs, s)
		b.mu.Unlock()
		s.finish()
	}
}

func (b *broadcast) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.finish()
		delete(b.subs, s)
	}
	if c, ok := b.base.(io.Closer); ok {
		c.Close()
	}
}

// Adopt reconnects to the containers a previous agent started: running
// ones get their streams back and are watched again; ones that exited
// while no agent watched get their exit recorded. No container restarts.
func (r *Runtime) Adopt(ctx context.Context) error {
	ctx = r.ctx(ctx)
	cs, err := r.client.Containers(ctx, `labels."`+LabelKind+`"==`+KindContainer)
	if err != nil {
		return err
	}
	for _, c := range cs {
		labels, err := c.Labels(ctx)
		if err != nil || labels[LabelFinishedAt] != "" {
			continue
		}
		r.mu.Lock()
		_, known := r.ios[c.ID()]
		r.mu.Unlock()
		if known {
			continue
		}
		cio, err := r.newContainerIO(c.ID(), labels)
		if err != nil {
			return err
		}
		task, err := c.Task(ctx, cio.attacher())
		if err != nil {
			cio.close()
			continue // never started, or lost: inspect reports it
		}
		st, err := task.Status(ctx)
		if err == nil && st.Status == containerd.Stopped {
			r.recordExit(ctx, c, int32(st.ExitStatus), st.ExitTime)
			task.Delete(ctx)
			cio.close()
			continue
		}
		wait, err := task.Wait(ctx)
		if err != nil {
			cio.close()
			continue
		}
		r.mu.Lock()
		r.ios[c.ID()] = cio
		r.mu.Unlock()
		go r.watch(ctx, c, task, wait, cio)
		logger(ctx).V(2).Info("Adopted running container", "containerID", c.ID(), "pod", labels[LabelPodNamespace]+"/"+labels[LabelPodName], "container", labels[LabelContainerName])
	}
	return nil
}

// logTail is the end of a container's log, for FallbackToLogsOnError: the
// last lines lines or maxBytes bytes, whichever is less.
func logTail(path string, lines int64, maxBytes int) string {
	var buf bytes.Buffer
	err := logs.Read(context.Background(), path, logs.Options{TailLines: &lines}, &buf, &buf)
	if err != nil {
		return ""
	}
	b := buf.Bytes()
	if len(b) > maxBytes {
		b = b[len(b)-maxBytes:]
	}
	return string(b)
}
