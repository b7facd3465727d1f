package proxy

import (
	"context"
	"errors"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

func TestRunner(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
	r := newRunner(clk, time.Second, 30*time.Second)
	states := make(chan string)
	r.parked = func(s string) { states <- s }
	runs := make(chan bool)
	results := make(chan error)
	done := make(chan struct{})
	go func() {
		r.Loop(ctx, func(_ context.Context, periodic bool) error { runs <- periodic; return <-results })
		close(done)
	}()
	expectState := func(want string) {
		t.Helper()
		if got := <-states; got != want {
			t.Fatalf("loop is %s, want %s", got, want)
		}
	}
	expectRun := func(wantPeriodic bool, result error) {
		t.Helper()
		if got := <-runs; got != wantPeriodic {
			t.Fatalf("run periodic=%v, want %v", got, wantPeriodic)
		}
		results <- result
	}

	// The first kick runs at once.
	expectState("idle")
	r.Kick()
	expectRun(false, nil)

	// A burst within the min interval is one run, after the interval.
	expectState("idle")
	r.Kick()
	expectState("cooling")
	r.Kick()
	r.Kick()
	clk.Step(time.Second)
	expectRun(false, nil)

	// Nothing was left over: the next run is the periodic one.
	expectState("idle")
	clk.Step(30 * time.Second)
	expectRun(true, nil)

	// A failure is retried without a kick.
	expectState("idle")
	r.Kick()
	expectState("cooling")
	clk.Step(time.Second)
	expectRun(false, errors.New("iptables-restore failed"))
	expectState("idle")
	clk.Step(time.Second)
	expectRun(false, nil)

	expectState("idle")
	cancel()
	<-done
}
