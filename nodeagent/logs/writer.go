package logs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"k8s.io/klog/v2"
)

const (
	// Stdout and Stderr are the stream names of the CRI log format.
	Stdout = "stdout"
	Stderr = "stderr"

	// TagFull marks the last (or only) entry of a line, TagPartial an entry that the
	// next entry of the same stream continues.
	TagFull    = "F"
	TagPartial = "P"

	// MaxLineSize is the longest content one entry holds; longer lines are split into
	// partial entries. It is containerd's default max_container_log_line_size.
	MaxLineSize = 16 * 1024

	// timestampFormat is what containerd writes; the reader accepts any RFC 3339 width.
	timestampFormat = time.RFC3339Nano
)

// Writer turns a container's raw output into CRI log entries on an underlying writer.
// Every entry reaches the underlying writer in a single Write call made while holding the
// mutex the Writer was created with, so writers of several streams may share one file.
//
// Write never fails: like containerd, a Writer keeps consuming the container's output when
// the log file cannot be written (a full disk must not block the container on a full
// pipe). The first write error is logged and returned by Close.
type Writer struct {
	mu     *sync.Mutex // shared with the other streams of the same file
	out    io.Writer
	stream []byte
	maxLen int
	now    func() time.Time

	// buf holds the current line's bytes that are not written yet; it never holds a newline.
	buf    []byte
	entry  bytes.Buffer
	err    error
	closed bool
}

// NewWriter returns a Writer of entries for stream ("stdout" or "stderr") on w. Use
// File.Stream instead when stdout and stderr go to the same file.
func NewWriter(w io.Writer, stream string) *Writer {
	return newWriter(&sync.Mutex{}, w, stream)
}

func newWriter(mu *sync.Mutex, w io.Writer, stream string) *Writer {
	return &Writer{mu: mu, out: w, stream: []byte(stream), maxLen: MaxLineSize, now: time.Now}
}

// Write consumes a piece of the container's output, writing an entry for every complete
// line and for every MaxLineSize bytes of a line not yet complete. It always returns
// len(p), nil; see Writer.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, os.ErrClosed
	}
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.buf = append(w.buf, p...)
			w.splitLong()
			break
		}
		w.buf = append(w.buf, p[:i]...)
		p = p[i+1:]
		w.splitLong()
		// containerd reads lines with "\r\n" endings as ending in "\n".
		line := w.buf
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		w.writeEntry(TagFull, line)
		w.buf = w.buf[:0]
	}
	return n, nil
}

// splitLong writes partial entries while the pending line is longer than maxLen. A single
// trailing '\r' is not counted, since it may be the start of a "\r\n" line ending.
func (w *Writer) splitLong() {
	for {
		n := len(w.buf)
		if n > 0 && w.buf[n-1] == '\r' {
			n--
		}
		if n <= w.maxLen {
			return
		}
		w.writeEntry(TagPartial, w.buf[:w.maxLen])
		w.buf = append(w.buf[:0], w.buf[w.maxLen:]...)
	}
}

func (w *Writer) writeEntry(tag string, content []byte) {
	e := &w.entry
	e.Reset()
	e.Write(w.now().AppendFormat(e.AvailableBuffer(), timestampFormat))
	e.WriteByte(' ')
	e.Write(w.stream)
	e.WriteByte(' ')
	e.WriteString(tag)
	e.WriteByte(' ')
	e.Write(content)
	e.WriteByte('\n')
	if _, err := w.out.Write(e.Bytes()); err != nil && w.err == nil {
		w.err = fmt.Errorf("write %s log entry: %w", w.stream, err)
		klog.Background().Error(err, "Failed to write container log entry; dropping output until the file is writable", "stream", string(w.stream))
	}
}

// Close writes what remains of an unterminated last line as a partial entry, as
// containerd does when a container's stream ends without a newline. It returns the first
// error met writing the underlying writer. Close does not close the underlying writer.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.err
	}
	w.closed = true
	if len(w.buf) > 0 {
		w.writeEntry(TagPartial, w.buf)
		w.buf = nil
	}
	return w.err
}

// File is a container log file that the stdout and stderr writers of one container
// instance append to.
type File struct {
	mu      sync.Mutex
	f       *os.File
	streams []*Writer
}

// Open opens (creating it if needed) the log file at path for appending.
func Open(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open container log file: %w", err)
	}
	return &File{f: f}, nil
}

// Name returns the path the file was opened with.
func (f *File) Name() string { return f.f.Name() }

// Stream returns a writer of entries for stream ("stdout" or "stderr") on the file. All
// the streams of a File serialize their entries with one mutex, so entries never
// interleave. Closing the stream flushes its unterminated last line; File.Close does
// that for the streams still open.
func (f *File) Stream(stream string) *Writer {
	w := newWriter(&f.mu, f.f, stream)
	f.mu.Lock()
	f.streams = append(f.streams, w)
	f.mu.Unlock()
	return w
}

// CloseStreams closes the streams, which writes their unterminated last
// lines, and leaves the file open. The exit of a container is recorded
// after it, so that a termination message read from the log's tail has the
// container's last words even without a final newline.
func (f *File) CloseStreams() error {
	f.mu.Lock()
	streams := append([]*Writer(nil), f.streams...)
	f.mu.Unlock()
	var errs []error
	for _, s := range streams {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// Close closes the streams still open, then the file. It returns the first error of the
// streams' writes or of closing the file.
func (f *File) Close() error {
	f.mu.Lock()
	streams := f.streams
	f.streams = nil
	f.mu.Unlock()
	var errs []error
	for _, s := range streams {
		errs = append(errs, s.Close())
	}
	errs = append(errs, f.f.Close())
	return errors.Join(errs...)
}
