package logs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/utils/ptr"
)

func TestParseLine(t *testing.T) {
	ts := time.Date(2016, 10, 6, 0, 17, 9, 669794202, time.UTC)
	tests := []struct {
		name    string
		line    string
		want    Entry
		wantErr bool
	}{
		{
			name: "full",
			line: "2016-10-06T00:17:09.669794202Z stdout F log content 1\n",
			want: Entry{Timestamp: ts, Stream: Stdout, Content: []byte("log content 1\n")},
		},
		{
			name: "partial drops its newline",
			line: "2016-10-06T00:17:09.669794202Z stderr P log content 2\n",
			want: Entry{Timestamp: ts, Stream: Stderr, Partial: true, Content: []byte("log content 2")},
		},
		{
			name: "full without newline keeps content as is",
			line: "2016-10-06T00:17:09.669794202Z stdout F last",
			want: Entry{Timestamp: ts, Stream: Stdout, Content: []byte("last")},
		},
		{
			name: "short fraction and offset zone",
			line: "2016-10-06T02:17:09.6+02:00 stdout F x\n",
			want: Entry{Timestamp: time.Date(2016, 10, 6, 0, 17, 9, 600000000, time.UTC), Stream: Stdout, Content: []byte("x\n")},
		},
		{
			name: "extra tags after a colon",
			line: "2016-10-06T00:17:09.669794202Z stdout P:future x\n",
			want: Entry{Timestamp: ts, Stream: Stdout, Partial: true, Content: []byte("x")},
		},
		{
			name: "content keeps its spaces",
			line: "2016-10-06T00:17:09.669794202Z stdout F  a  b \n",
			want: Entry{Timestamp: ts, Stream: Stdout, Content: []byte(" a  b \n")},
		},
		{name: "no delimiter", line: "garbage\n", wantErr: true},
		{name: "bad timestamp", line: "yesterday stdout F x\n", wantErr: true},
		{name: "bad stream", line: "2016-10-06T00:17:09.669794202Z stdin F x\n", wantErr: true},
		{name: "no tag", line: "2016-10-06T00:17:09.669794202Z stdout\n", wantErr: true},
		{name: "docker json is not CRI", line: `{"log":"x\n","stream":"stdout","time":"2016-10-20T18:39:20.57606443Z"}` + "\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLine([]byte(tc.line))
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseLine error = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("ParseLine (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatLineRoundTrip(t *testing.T) {
	line := FormatLine(testTime, Stderr, true, []byte("abc"))
	if want := testTS + " stderr P abc\n"; string(line) != want {
		t.Fatalf("FormatLine = %q, want %q", line, want)
	}
	e, err := ParseLine(line)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Timestamp.Equal(testTime) || e.Stream != Stderr || !e.Partial || string(e.Content) != "abc" {
		t.Errorf("round trip gave %+v", e)
	}
}

func TestTailStart(t *testing.T) {
	tests := []struct {
		name    string
		content string
		n       int64
		want    int64
	}{
		{name: "all", content: "a\nb\nc\n", n: -1, want: 0},
		{name: "none", content: "a\nb\nc\n", n: 0, want: 6},
		{name: "last one", content: "a\nb\nc\n", n: 1, want: 4},
		{name: "last two", content: "a\nb\nc\n", n: 2, want: 2},
		{name: "exactly all", content: "a\nb\nc\n", n: 3, want: 0},
		{name: "more than all", content: "a\nb\nc\n", n: 10, want: 0},
		{name: "unterminated last line does not count", content: "a\nb\nc", n: 1, want: 2},
		{name: "unterminated last line, none", content: "a\nb\nc", n: 0, want: 4},
		{name: "empty file", content: "", n: 2, want: 0},
		{name: "across blocks", content: strings.Repeat("x", 5000) + "\n" + strings.Repeat("y", 5000) + "\nz\n", n: 2, want: 5001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tailStart(strings.NewReader(tc.content), tc.n)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("tailStart(%d) = %d, want %d", tc.n, got, tc.want)
			}
		})
	}
}

// logLines builds a log file's content: one entry a second from base.
func logLines(base time.Time, entries ...[3]string) string {
	var b strings.Builder
	for i, e := range entries {
		b.Write(FormatLine(base.Add(time.Duration(i)*time.Second), e[0], e[1] == TagPartial, []byte(e[2])))
	}
	return b.String()
}

func TestRead(t *testing.T) {
	base := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	file := logLines(base,
		[3]string{Stdout, TagFull, "out 0"},
		[3]string{Stderr, TagFull, "err 1"},
		[3]string{Stdout, TagPartial, "out 2 "},
		[3]string{Stdout, TagFull, "cont 3"},
		[3]string{Stderr, TagFull, "err 4"},
	)
	ts := func(sec int) string { return base.Add(time.Duration(sec) * time.Second).Format(timestampFormatOut) }
	tests := []struct {
		name       string
		file       string
		opts       Options
		dropStderr bool
		wantOut    string
		wantErr    string
	}{
		{
			name:    "everything",
			file:    file,
			wantOut: "out 0\nout 2 cont 3\n",
			wantErr: "err 1\nerr 4\n",
		},
		{
			name:    "tail counts file lines",
			file:    file,
			opts:    Options{TailLines: ptr.To[int64](2)},
			wantOut: "cont 3\n",
			wantErr: "err 4\n",
		},
		{
			name: "tail zero",
			file: file,
			opts: Options{TailLines: ptr.To[int64](0)},
		},
		{
			name:    "tail beyond the start",
			file:    file,
			opts:    Options{TailLines: ptr.To[int64](100)},
			wantOut: "out 0\nout 2 cont 3\n",
			wantErr: "err 1\nerr 4\n",
		},
		{
			name:    "since skips older entries",
			file:    file,
			opts:    Options{SinceTime: ptr.To(base.Add(2 * time.Second))},
			wantOut: "out 2 cont 3\n",
			wantErr: "err 4\n",
		},
		{
			name:    "since in the future",
			file:    file,
			opts:    Options{SinceTime: ptr.To(base.Add(time.Hour))},
			wantOut: "",
		},
		{
			name:    "timestamps prefix lines, not continuations",
			file:    file,
			opts:    Options{Timestamps: true},
			wantOut: ts(0) + " out 0\n" + ts(2) + " out 2 cont 3\n",
			wantErr: ts(1) + " err 1\n" + ts(4) + " err 4\n",
		},
		{
			name:    "limit bytes cuts a line",
			file:    file,
			opts:    Options{LimitBytes: ptr.To[int64](9)},
			wantOut: "out 0\n",
			wantErr: "err",
		},
		{
			name:    "limit bytes counts timestamps",
			file:    file,
			opts:    Options{LimitBytes: ptr.To[int64](int64(len(ts(0))) + 3), Timestamps: true},
			wantOut: ts(0) + " ou",
		},
		{
			name:    "limit bytes larger than the output",
			file:    file,
			opts:    Options{LimitBytes: ptr.To[int64](1 << 20)},
			wantOut: "out 0\nout 2 cont 3\n",
			wantErr: "err 1\nerr 4\n",
		},
		{
			name:       "a dropped stream does not count against the limit",
			file:       file,
			opts:       Options{LimitBytes: ptr.To[int64](8)},
			dropStderr: true,
			wantOut:    "out 0\nou",
		},
		{
			name:    "tail with since",
			file:    file,
			opts:    Options{TailLines: ptr.To[int64](3), SinceTime: ptr.To(base.Add(3 * time.Second))},
			wantOut: "cont 3\n",
			wantErr: "err 4\n",
		},
		{
			name:    "bad lines are skipped",
			file:    "not a log line\n" + file + "2024-01-02T03:04:05Z stdin F ?\n",
			wantOut: "out 0\nout 2 cont 3\n",
			wantErr: "err 1\nerr 4\n",
		},
		{
			name:    "unterminated last line is read",
			file:    file + "2024-01-02T03:05:00Z stdout F unterminated",
			wantOut: "out 0\nout 2 cont 3\nunterminated",
			wantErr: "err 1\nerr 4\n",
		},
		{
			name: "empty file",
			file: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "0.log")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			var errW io.Writer = &stderr
			if tc.dropStderr {
				errW = nil
			}
			err := Read(context.Background(), path, tc.opts, &stdout, errW)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tc.wantOut, stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantErr, stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	err := Read(context.Background(), filepath.Join(t.TempDir(), "nope.log"), Options{}, &bytes.Buffer{}, &bytes.Buffer{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read of a missing file = %v, want a not-exist error", err)
	}
}

// syncBuffer is a bytes.Buffer safe for a reader and a writer goroutine.
type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{mu: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func TestReadFollow(t *testing.T) {
	tests := []struct {
		name       string
		before     string // written before Read starts
		opts       Options
		wantPrefix string // output of the lines written before
	}{
		{name: "from the start", before: "old 1\nold 2\n", wantPrefix: "old 1\nold 2\n"},
		{name: "tail", before: "old 1\nold 2\n", opts: Options{TailLines: ptr.To[int64](1)}, wantPrefix: "old 2\n"},
		{name: "tail zero", before: "old 1\nold 2\n", opts: Options{TailLines: ptr.To[int64](0)}},
		{name: "empty file", before: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "0.log")
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			out := f.Stream(Stdout)
			out.Write([]byte(tc.before))

			var running atomic.Bool
			running.Store(true)
			opts := tc.opts
			opts.Follow = true
			opts.Running = running.Load
			stdout := newSyncBuffer()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- Read(ctx, path, opts, stdout, stdout) }()

			waitFor(t, stdout, tc.wantPrefix)
			// A line written in two pieces must come out whole.
			out.Write([]byte("new "))
			time.Sleep(50 * time.Millisecond)
			out.Write([]byte("1\n"))
			waitFor(t, stdout, tc.wantPrefix+"new 1\n")

			// The container exits after a last line: the follower drains it and returns.
			out.Write([]byte("last\n"))
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			running.Store(false)
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Read: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Read did not return after the container stopped")
			}
			if diff := cmp.Diff(tc.wantPrefix+"new 1\nlast\n", stdout.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadFollowStopsOnContextDone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	if err := os.WriteFile(path, []byte(logLines(testTime, [3]string{Stdout, TagFull, "x"})), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	stdout := newSyncBuffer()
	go func() { done <- Read(ctx, path, Options{Follow: true}, stdout, stdout) }()
	waitFor(t, stdout, "x\n")
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("Read returned nil after cancel, want the context's error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read did not return after cancel")
	}
}

func TestReadFollowRecreatedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "0.log")
	if err := os.WriteFile(path, []byte(logLines(testTime, [3]string{Stdout, TagFull, "before"})), 0o600); err != nil {
		t.Fatal(err)
	}
	var running atomic.Bool
	running.Store(true)
	stdout := newSyncBuffer()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Read(ctx, path, Options{Follow: true, Running: running.Load}, stdout, stdout) }()
	waitFor(t, stdout, "before\n")

	// Rotation by create: the old file moves away, a new one takes its name.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(logLines(testTime, [3]string{Stdout, TagFull, "after"})), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, stdout, "before\nafter\n")
	running.Store(false)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read did not return after the container stopped")
	}
}

func waitFor(t *testing.T, b *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b.String() == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("output is %q, want %q", b.String(), want)
}
