package logs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testTime = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)

const testTS = "2024-05-06T07:08:09.123456Z"

func TestWriter(t *testing.T) {
	tests := []struct {
		name   string
		maxLen int
		writes []string
		close  bool
		want   []string
	}{
		{
			name:   "one line",
			writes: []string{"hello\n"},
			want:   []string{"stdout F hello"},
		},
		{
			name:   "two lines in one write",
			writes: []string{"a\nb\n"},
			want:   []string{"stdout F a", "stdout F b"},
		},
		{
			name:   "line across writes",
			writes: []string{"hel", "lo", "\nwor", "ld\n"},
			want:   []string{"stdout F hello", "stdout F world"},
		},
		{
			name:   "empty lines",
			writes: []string{"\n\n"},
			want:   []string{"stdout F ", "stdout F "},
		},
		{
			name:   "crlf ending is a newline",
			writes: []string{"dos\r\n", "split\r", "\n"},
			want:   []string{"stdout F dos", "stdout F split"},
		},
		{
			name:   "lone carriage return is content",
			writes: []string{"a\rb\n"},
			want:   []string{"stdout F a\rb"},
		},
		{
			name:   "unterminated line is not written before close",
			writes: []string{"no newline"},
			want:   nil,
		},
		{
			name:   "unterminated line is written partial on close",
			writes: []string{"done\nno newline"},
			close:  true,
			want:   []string{"stdout F done", "stdout P no newline"},
		},
		{
			name:   "close with nothing pending writes nothing",
			writes: []string{"done\n"},
			close:  true,
			want:   []string{"stdout F done"},
		},
		{
			name:   "line of exactly max length is one entry",
			maxLen: 4,
			writes: []string{"abcd\n"},
			want:   []string{"stdout F abcd"},
		},
		{
			name:   "line one longer than max is split",
			maxLen: 4,
			writes: []string{"abcde\n"},
			want:   []string{"stdout P abcd", "stdout F e"},
		},
		{
			name:   "long line split before its newline arrives",
			maxLen: 4,
			writes: []string{"abcdefghij"},
			want:   []string{"stdout P abcd", "stdout P efgh"},
		},
		{
			name:   "long line split in pieces and finished",
			maxLen: 4,
			writes: []string{"ab", "cdefghi", "jk\n"},
			want:   []string{"stdout P abcd", "stdout P efgh", "stdout F ijk"},
		},
		{
			name:   "max length line with crlf is one entry",
			maxLen: 4,
			writes: []string{"abcd\r", "\n"},
			want:   []string{"stdout F abcd"},
		},
		{
			name:   "max length line followed by carriage return and more",
			maxLen: 4,
			writes: []string{"abcd\r", "x\n"},
			want:   []string{"stdout P abcd", "stdout F \rx"},
		},
		{
			name:   "default max line size",
			writes: []string{strings.Repeat("x", MaxLineSize+3) + "\n"},
			want:   []string{"stdout P " + strings.Repeat("x", MaxLineSize), "stdout F xxx"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewWriter(&buf, Stdout)
			w.now = func() time.Time { return testTime }
			if tc.maxLen > 0 {
				w.maxLen = tc.maxLen
			}
			for _, s := range tc.writes {
				n, err := w.Write([]byte(s))
				if err != nil || n != len(s) {
					t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
				}
			}
			if tc.close {
				if err := w.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
			}
			var got []string
			for _, l := range strings.SplitAfter(buf.String(), "\n") {
				if l == "" {
					continue
				}
				rest, ok := strings.CutPrefix(l, testTS+" ")
				if !ok || !strings.HasSuffix(rest, "\n") {
					t.Fatalf("line %q does not start with the timestamp or end with a newline", l)
				}
				got = append(got, strings.TrimSuffix(rest, "\n"))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write(p []byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestWriterKeepsConsumingOnWriteError(t *testing.T) {
	w := NewWriter(failingWriter{}, Stderr)
	for range 3 {
		if n, err := w.Write([]byte("line\n")); n != 5 || err != nil {
			t.Fatalf("Write = %d, %v; want 5, nil so that the container's pipe keeps draining", n, err)
		}
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close = %v; want the first write error", err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Errorf("Write after Close succeeded")
	}
}

// TestFileSharedByStreams writes both streams of one file concurrently and checks that
// every entry is whole and each stream's output comes back in order.
func TestFileSharedByStreams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const lines = 500
	streams := map[string]*Writer{Stdout: f.Stream(Stdout), Stderr: f.Stream(Stderr)}
	var wg sync.WaitGroup
	for name, w := range streams {
		wg.Go(func() {
			for i := range lines {
				// Lines cut at odd places, so that entries are completed by later writes.
				s := fmt.Sprintf("%s line %d %s\n", name, i, strings.Repeat("z", i%37))
				for len(s) > 0 {
					n := min(len(s), 7)
					if _, err := w.Write([]byte(s[:n])); err != nil {
						t.Errorf("Write: %v", err)
						return
					}
					s = s[n:]
				}
			}
			w.Write([]byte("tail of " + name))
		})
	}
	wg.Wait()
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*strings.Builder{Stdout: {}, Stderr: {}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		e, err := ParseLine(sc.Bytes())
		if err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got[e.Stream].Write(e.Content)
		if !e.Partial {
			got[e.Stream].WriteByte('\n')
		}
	}
	for name := range streams {
		var want strings.Builder
		for i := range lines {
			fmt.Fprintf(&want, "%s line %d %s\n", name, i, strings.Repeat("z", i%37))
		}
		want.WriteString("tail of " + name)
		if diff := cmp.Diff(want.String(), got[name].String()); diff != "" {
			t.Errorf("%s output (-want +got):\n%s", name, diff)
		}
	}
}

func TestOpenAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	for _, s := range []string{"first\n", "second\n"} {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		f.Stream(Stdout).Write([]byte(s))
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n != 2 {
		t.Errorf("file has %d lines, want 2:\n%s", n, data)
	}
}

// TestCloseStreamsFlushesBeforeClose: a last line without a newline is in
// the file once the streams are closed, before the file is; the exit of a
// container is recorded in between, reading the log's tail.
func TestCloseStreamsFlushesBeforeClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Stream(Stdout).Write([]byte("DONE"))
	if data, _ := os.ReadFile(path); len(data) != 0 {
		t.Fatalf("unterminated line written before the stream closed: %q", data)
	}
	if err := f.CloseStreams(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(data), " stdout P DONE\n") {
		t.Errorf("after CloseStreams the file is %q, want a partial entry DONE", data)
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close after CloseStreams: %v", err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(data) {
		t.Errorf("Close wrote more: %q", again)
	}
}
