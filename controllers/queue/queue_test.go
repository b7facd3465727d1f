package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestQueue(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	calls := map[string]int{}
	done := make(chan struct{})
	q := New("test", func(_ context.Context, key string) (time.Duration, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[key]++
		n := calls[key]
		switch {
		case key == "fails-once" && n == 1:
			return 0, errors.New("transient")
		case key == "settles" && n < 3:
			return time.Millisecond, nil
		}
		if calls["ok"] >= 1 && calls["fails-once"] == 2 && calls["settles"] == 3 {
			close(done)
		}
		return 0, nil
	})
	for _, k := range []string{"ok", "fails-once", "settles"} {
		q.Add(k)
	}
	go q.Run(ctx, 1)
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("keys not synced in time")
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(map[string]int{"ok": 1, "fails-once": 2, "settles": 3}, calls); diff != "" {
		t.Errorf("sync calls (-want +got):\n%s", diff)
	}
}
