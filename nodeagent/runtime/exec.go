package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	eventtypes "github.com/containerd/containerd/api/events"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/typeurl/v2"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
)

// WatchEvents follows containerd's OOM events until ctx ends, so an
// OOM-killed container is reported as OOMKilled.
func (r *Runtime) WatchEvents(ctx context.Context) {
	ctx = r.ctx(ctx)
	for ctx.Err() == nil {
		ch, errs := r.client.Subscribe(ctx, `topic=="/tasks/oom"`)
	loop:
		for {
			select {
			case <-ctx.Done():
				return
			case err := <-errs:
				if err != nil && ctx.Err() == nil {
					logger(ctx).V(2).Info("containerd event stream ended", "err", err)
				}
				break loop
			case e := <-ch:
				if e == nil || e.Event == nil {
					continue
				}
				v, err := typeurl.UnmarshalAny(e.Event)
				if err != nil {
					continue
				}
				if oom, ok := v.(*eventtypes.TaskOOM); ok {
					r.mu.Lock()
					r.oom[oom.ContainerID] = true
					r.mu.Unlock()
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// Exec runs cmd in a running container and returns when it exits. A
// non-zero exit is a utilexec.CodeExitError, as the streaming server wants.
func (r *Runtime) Exec(ctx context.Context, id string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	ctx = r.ctx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return err
	}
	task, err := c.Task(ctx, nil)
	if err != nil {
		return fmt.Errorf("container %s is not running: %w", id, err)
	}
	spec, err := c.Spec(ctx)
	if err != nil {
		return err
	}
	pspec := *spec.Process
	pspec.Args = cmd
	pspec.Terminal = tty
	execID := "exec-" + newID()[:16]
	// When the client's stdin ends, the process must see EOF: containerd
	// only closes its end of the FIFO when told to (CloseIO).
	started := make(chan containerd.Process, 1)
	if in != nil {
		in = &eofNotifier{r: in, eof: func() {
			go func() {
				select {
				case p := <-started:
					p.CloseIO(context.WithoutCancel(ctx), containerd.WithStdinCloser)
				case <-ctx.Done():
				}
			}()
		}}
	}
	// containerd 1.6's shim refuses an empty stream path: give it a sink.
	var stdout, stderr io.Writer = out, errOut
	if out == nil {
		stdout = io.Discard
	}
	if errOut == nil || tty {
		stderr = io.Discard
	}
	opts := []cio.Opt{cio.WithStreams(in, stdout, stderr), cio.WithFIFODir(r.containerDir(id))}
	if tty {
		opts = append(opts, cio.WithTerminal)
	}
	process, err := task.Exec(ctx, execID, &pspec, cio.NewCreator(opts...))
	if err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	defer process.Delete(context.WithoutCancel(ctx), containerd.WithProcessKill)
	wait, err := process.Wait(ctx)
	if err != nil {
		return err
	}
	if err := process.Start(ctx); err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	started <- process
	if tty && resize != nil {
		go func() {
			for size := range resize {
				process.Resize(ctx, uint32(size.Width), uint32(size.Height))
			}
		}()
	}
	var st containerd.ExitStatus
	select {
	case st = <-wait:
	case <-ctx.Done():
		process.Kill(context.WithoutCancel(ctx), syscall.SIGKILL)
		return ctx.Err()
	}
	// Let the output reach the client before the status does.
	if pio := process.IO(); pio != nil {
		pio.Wait()
	}
	code, _, err := st.Result()
	if err != nil {
		return err
	}
	if code != 0 {
		return utilexec.CodeExitError{Err: fmt.Errorf("command terminated with non-zero exit code: exit status %d", code), Code: int(code)}
	}
	return nil
}

// Attach connects to a running container's stdio until the container or
// the client ends it.
func (r *Runtime) Attach(ctx context.Context, id string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize) error {
	r.mu.Lock()
	cio := r.ios[id]
	r.mu.Unlock()
	if cio == nil {
		return fmt.Errorf("container %s is not running", id)
	}
	var subs []*subscriber
	var unsubs []func()
	if out != nil {
		s, u := cio.stdout.subscribe(out)
		subs, unsubs = append(subs, s), append(unsubs, u)
	}
	if errOut != nil && !cio.tty {
		s, u := cio.stderr.subscribe(errOut)
		subs, unsubs = append(subs, s), append(unsubs, u)
	}
	defer func() {
		for _, u := range unsubs {
			u()
		}
	}()
	stdinDone := make(chan struct{})
	if in != nil && cio.stdinW != nil {
		go func() {
			io.Copy(cio.stdinW, in)
			if cio.stdinOnce {
				// stdinOnce: the first client to detach closes stdin for good.
				cio.stdinW.Close()
				if task, err := r.task(ctx, id); err == nil {
					task.CloseIO(r.ctx(context.WithoutCancel(ctx)), containerd.WithStdinCloser)
				}
			}
			close(stdinDone)
		}()
	}
	if tty && resize != nil {
		go func() {
			for size := range resize {
				if task, err := r.task(ctx, id); err == nil {
					task.Resize(r.ctx(ctx), uint32(size.Width), uint32(size.Height))
				}
			}
		}()
	}
	var ended <-chan struct{}
	if len(subs) > 0 {
		ended = subs[0].done
	}
	select {
	case <-ended:
	case <-stdinDone:
	case <-ctx.Done():
	}
	return nil
}

func (r *Runtime) task(ctx context.Context, id string) (containerd.Task, error) {
	ctx = r.ctx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return nil, err
	}
	return c.Task(ctx, nil)
}

// PortForward connects stream to port on the pod's localhost, from inside
// the sandbox's network namespace (host network: the host's localhost).
func (r *Runtime) PortForward(ctx context.Context, netns string, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	var conn net.Conn
	dial := func() error {
		var err error
		conn, err = net.DialTimeout("tcp4", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
		return err
	}
	var err error
	if netns == "" {
		err = dial()
	} else {
		err = inNetNS(netns, dial)
	}
	if err != nil {
		return fmt.Errorf("failed to connect to localhost:%d inside namespace: %w", port, err)
	}
	defer conn.Close()
	errc := make(chan error, 2)
	go func() {
		_, err := io.Copy(conn, stream)
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		errc <- err
	}()
	go func() {
		_, err := io.Copy(stream, conn)
		errc <- err
	}()
	select {
	case err = <-errc:
	case <-ctx.Done():
		return nil
	}
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "use of closed") {
		return err
	}
	// Wait for the other direction too, so the last bytes arrive.
	select {
	case <-errc:
	case <-ctx.Done():
	case <-time.After(30 * time.Second):
	}
	return nil
}

// eofNotifier calls eof once when its reader ends.
type eofNotifier struct {
	r    io.Reader
	eof  func()
	once sync.Once
}

func (e *eofNotifier) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.once.Do(e.eof)
	}
	return n, err
}
