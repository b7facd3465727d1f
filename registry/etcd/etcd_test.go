package etcd

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestRestartKeepsData starts a member, writes, closes it, starts another on
// the same directory and reads the write back.
func TestRestartKeepsData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	put := func(e *Etcd, value string) {
		t.Helper()
		c, err := clientv3.New(clientv3.Config{Endpoints: []string{e.ClientURL()}, DialTimeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("client: %v", err)
		}
		defer c.Close()
		if value != "" {
			if _, err := c.Put(ctx, "/k", value); err != nil {
				t.Fatalf("put: %v", err)
			}
			return
		}
		resp, err := c.Get(ctx, "/k")
		if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
			t.Fatalf("get after restart: %+v, %v; want v", resp, err)
		}
	}
	e, err := Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	first := e.ClientURL()
	put(e, "v")
	e.Close()

	e, err = Start(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer e.Close()
	if e.ClientURL() != first {
		t.Errorf("client URL %s after restart, want the recorded %s", e.ClientURL(), first)
	}
	put(e, "")
}
