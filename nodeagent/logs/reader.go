package logs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
	"k8s.io/klog/v2"
)

const (
	// timestampFormatOut is the fixed-width RFC 3339 format the kubelet prefixes lines
	// with when timestamps are requested.
	timestampFormatOut = "2006-01-02T15:04:05.000000000Z07:00"
	// timestampFormatIn parses any width of RFC 3339 fractional seconds.
	timestampFormatIn = "2006-01-02T15:04:05.999999999Z07:00"

	// forceCheckPeriod bounds how long a follower waits for a file event before it looks
	// at the file (and at whether the container still runs) again.
	forceCheckPeriod = time.Second
)

// Entry is one parsed line of a CRI log file.
type Entry struct {
	Timestamp time.Time
	Stream    string
	// Partial is true for a P entry, which the next entry of the stream continues.
	Partial bool
	// Content is the entry's content with the line's newline for a full entry (when the
	// file has it) and without it for a partial one, so that concatenating the contents
	// of a stream's entries gives back the container's output.
	Content []byte
}

// ParseLine parses one line of a CRI log file, with or without its trailing newline.
// Content aliases line.
func ParseLine(line []byte) (Entry, error) {
	var e Entry
	i := bytes.IndexByte(line, ' ')
	if i < 0 {
		return e, errors.New("timestamp is not found")
	}
	ts, err := time.Parse(timestampFormatIn, string(line[:i]))
	if err != nil {
		return e, fmt.Errorf("unexpected timestamp format: %w", err)
	}
	e.Timestamp = ts
	line = line[i+1:]
	i = bytes.IndexByte(line, ' ')
	if i < 0 {
		return e, errors.New("stream type is not found")
	}
	e.Stream = string(line[:i])
	if e.Stream != Stdout && e.Stream != Stderr {
		return e, fmt.Errorf("unexpected stream type %q", e.Stream)
	}
	line = line[i+1:]
	i = bytes.IndexByte(line, ' ')
	if i < 0 {
		return e, errors.New("log tag is not found")
	}
	// Tags are ":"-separated for forward compatibility; the first says full or partial.
	tag, _, _ := bytes.Cut(line[:i], []byte(":"))
	e.Partial = string(tag) == TagPartial
	e.Content = line[i+1:]
	if e.Partial {
		e.Content = bytes.TrimSuffix(e.Content, []byte("\n"))
	}
	return e, nil
}

// FormatLine returns the CRI log line for one entry (content without its newline).
func FormatLine(ts time.Time, stream string, partial bool, content []byte) []byte {
	tag := TagFull
	if partial {
		tag = TagPartial
	}
	b := ts.AppendFormat(nil, timestampFormat)
	b = append(b, ' ')
	b = append(b, stream...)
	b = append(b, ' ')
	b = append(b, tag...)
	b = append(b, ' ')
	b = append(b, content...)
	return append(b, '\n')
}

// Options select what Read returns. They are the kubelet's log options.
type Options struct {
	// Follow keeps reading as the file grows until the container stops running.
	Follow bool
	// TailLines, when set, starts at that many lines before the end of the file (file
	// lines: each partial entry counts, as in the kubelet). Without Follow, reading stops
	// after that many entries.
	TailLines *int64
	// SinceTime, when set, skips entries older than it.
	SinceTime *time.Time
	// Timestamps prefixes every line of output with its entry's timestamp (RFC 3339,
	// fixed nanosecond width) and a space.
	Timestamps bool
	// LimitBytes, when set, stops after that many bytes of output, cutting a line.
	LimitBytes *int64
	// Running tells a follower whether the container still runs; when it returns false
	// the follower returns once it has drained the file. Nil means running: the follower
	// stops only when ctx is done.
	Running func() bool
}

// Read writes the log entries of the CRI log file at path selected by opts to stdout and
// stderr, by their stream. Either writer may be nil to drop that stream (the dropped
// bytes do not count against LimitBytes). Lines that do not parse are skipped.
func Read(ctx context.Context, path string, opts Options, stdout, stderr io.Writer) error {
	logger := klog.FromContext(ctx)
	// fsnotify follows symlinks on Linux; resolve the path so that the events' names
	// match the file actually written.
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("resolve log file %q: %w", path, err)
	}
	path = resolved
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open log file %q: %w", path, err)
	}
	defer func() { f.Close() }()

	tail := int64(-1)
	if opts.TailLines != nil {
		tail = *opts.TailLines
	}
	start, err := tailStart(f, tail)
	if err != nil {
		return fmt.Errorf("find the last %d lines of log file %q: %w", tail, path, err)
	}
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return fmt.Errorf("seek log file %q: %w", path, err)
	}

	// Without follow, a tail is also a count of entries to write.
	limited := opts.TailLines != nil && !opts.Follow
	remaining := tail
	out := newOutput(stdout, stderr, opts)
	r := bufio.NewReader(f)
	var watcher *fsnotify.Watcher
	defer func() {
		if watcher != nil {
			watcher.Close()
		}
	}()
	running := true
	atLineStart := true
	for {
		if limited && remaining <= 0 {
			return nil
		}
		line, err := r.ReadBytes('\n')
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return fmt.Errorf("read log file %q: %w", path, err)
			}
			if !opts.Follow {
				if len(line) == 0 {
					return nil
				}
				// An unterminated last line is written too; the file ends there.
				logger.V(4).Info("Incomplete line at the end of the log file", "path", path)
			} else {
				if !running {
					// The container had stopped before this read reached the end.
					return nil
				}
				// Read an unterminated line again once it is complete.
				if _, err := f.Seek(-int64(len(line)), io.SeekCurrent); err != nil {
					return fmt.Errorf("seek log file %q: %w", path, err)
				}
				r.Reset(f)
				if watcher == nil {
					if watcher, err = newWatcher(filepath.Dir(path)); err != nil {
						return err
					}
					// Lines written before the watch started raised no event: look again.
					continue
				}
				var recreated bool
				running, recreated, err = wait(ctx, watcher, filepath.Base(path), opts.Running)
				if err != nil {
					return err
				}
				if recreated {
					// Rotated by create: follow the new file from its start.
					nf, err := os.Open(path)
					if err != nil {
						if os.IsNotExist(err) {
							continue
						}
						return fmt.Errorf("open log file %q: %w", path, err)
					}
					f.Close()
					f = nf
					r.Reset(f)
				}
				continue
			}
		}
		e, perr := ParseLine(line)
		if perr != nil {
			logger.Error(perr, "Skipping a log line that does not parse", "path", path)
			if err != nil {
				return nil
			}
			continue
		}
		if werr := out.write(e, atLineStart); werr != nil {
			if errors.Is(werr, errLimitReached) {
				return nil
			}
			return werr
		}
		remaining--
		// As in the kubelet, the next entry starts a line unless this one left it open.
		atLineStart = len(e.Content) == 0 || e.Content[len(e.Content)-1] == '\n'
		if err != nil {
			return nil
		}
	}
}

func newWatcher(dir string) (*fsnotify.Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("create file watcher: %w", err)
	}
	if err := w.Add(dir); err != nil {
		w.Close()
		return nil, fmt.Errorf("watch log directory %q: %w", dir, err)
	}
	return w, nil
}

// wait blocks until the log directory changes or forceCheckPeriod passes. It reports
// whether the container is still running (checked first, so that a follower reads what
// was written before the container stopped once more and then returns) and whether the
// log file was created anew.
func wait(ctx context.Context, w *fsnotify.Watcher, name string, running func() bool) (bool, bool, error) {
	if running != nil && !running() {
		return false, false, nil
	}
	retries := 5
	timer := time.NewTimer(forceCheckPeriod)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, false, ctx.Err()
		case e, ok := <-w.Events:
			if !ok {
				return false, false, errors.New("file watcher closed")
			}
			if e.Has(fsnotify.Create) {
				return true, filepath.Base(e.Name) == name, nil
			}
			return true, false, nil
		case err, ok := <-w.Errors:
			if !ok {
				return false, false, errors.New("file watcher closed")
			}
			if retries == 0 {
				return false, false, fmt.Errorf("watch log file: %w", err)
			}
			klog.FromContext(ctx).Error(err, "File watcher error, retrying", "retries", retries)
			retries--
		case <-timer.C:
			return true, false, nil
		}
	}
}

// tailStart returns the offset of the start of the last n lines of f, 0 when n < 0 or
// the file has no more than n lines. An unterminated last line does not count.
func tailStart(f io.ReadSeeker, n int64) (int64, error) {
	if n < 0 {
		return 0, nil
	}
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, err
	}
	// The start of the last n lines is just after the (n+1)-th newline from the end.
	const blockSize = 4096
	buf := make([]byte, blockSize)
	want := n + 1
	for right := end; right > 0; {
		left := max(right-blockSize, 0)
		b := buf[:right-left]
		if _, err := f.Seek(left, io.SeekStart); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(f, b); err != nil {
			return 0, err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != '\n' {
				continue
			}
			want--
			if want == 0 {
				return left + int64(i) + 1, nil
			}
		}
		right = left
	}
	return 0, nil
}

// errLimitReached ends a read that wrote LimitBytes bytes.
var errLimitReached = errors.New("byte limit reached")

// output writes entries to the requested streams, applying since, timestamps and the
// byte limit.
type output struct {
	stdout, stderr io.Writer
	since          time.Time
	timestamps     bool
	remain         int64
}

func newOutput(stdout, stderr io.Writer, opts Options) *output {
	o := &output{stdout: stdout, stderr: stderr, timestamps: opts.Timestamps, remain: math.MaxInt64}
	if opts.SinceTime != nil {
		o.since = *opts.SinceTime
	}
	if opts.LimitBytes != nil {
		o.remain = *opts.LimitBytes
	}
	return o
}

// write writes one entry; lineStart says whether it starts a line of output (the previous
// entry was not partial), which is where a timestamp goes.
func (o *output) write(e Entry, lineStart bool) error {
	if e.Timestamp.Before(o.since) {
		return nil
	}
	var w io.Writer
	switch e.Stream {
	case Stdout:
		w = o.stdout
	case Stderr:
		w = o.stderr
	}
	if w == nil {
		return nil
	}
	line := e.Content
	if o.timestamps && lineStart {
		line = append(e.Timestamp.AppendFormat(make([]byte, 0, len(timestampFormatOut)+1+len(line)), timestampFormatOut), ' ')
		line = append(line, e.Content...)
	}
	if int64(len(line)) > o.remain {
		line = line[:o.remain]
	}
	n, err := w.Write(line)
	o.remain -= int64(n)
	if err != nil {
		return fmt.Errorf("write log output: %w", err)
	}
	if n < len(line) {
		return io.ErrShortWrite
	}
	if o.remain <= 0 {
		return errLimitReached
	}
	return nil
}
