package expectations

import (
	"testing"
	"time"

	testclock "k8s.io/utils/clock/testing"
)

func TestCounting(t *testing.T) {
	for _, tc := range []struct {
		name    string
		do      func(e *Counting)
		elapsed time.Duration
		want    bool
	}{
		{name: "nothing expected", do: func(*Counting) {}, want: true},
		{name: "creates outstanding", do: func(e *Counting) { e.Expect("k", 2, 0); e.CreationObserved("k") }},
		{name: "creates seen", do: func(e *Counting) { e.Expect("k", 2, 0); e.CreationObserved("k"); e.Lower("k", 1, 0) }, want: true},
		{name: "any delete counts", do: func(e *Counting) { e.Expect("k", 0, 1); e.DeletionObserved("k") }, want: true},
		{name: "expired", do: func(e *Counting) { e.Expect("k", 1, 1) }, elapsed: Timeout + time.Second, want: true},
		{name: "forgotten", do: func(e *Counting) { e.Expect("k", 1, 1); e.Forget("k") }, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := testclock.NewFakeClock(time.Unix(0, 0))
			e := NewCounting(clk)
			tc.do(e)
			clk.Step(tc.elapsed)
			if got := e.Satisfied("k"); got != tc.want {
				t.Errorf("Satisfied = %t, want %t", got, tc.want)
			}
		})
	}
}

func TestTracking(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(e *Tracking)
		want bool
	}{
		{name: "creates seen", do: func(e *Tracking) { e.ExpectCreations("k", 1); e.CreationObserved("k") }, want: true},
		{name: "delete of another pod", do: func(e *Tracking) { e.ExpectDeletions("k", []string{"ns/a"}); e.DeletionObserved("k", "ns/b") }},
		{name: "same delete twice", do: func(e *Tracking) {
			e.ExpectDeletions("k", []string{"ns/a", "ns/b"})
			e.DeletionObserved("k", "ns/a")
			e.DeletionObserved("k", "ns/a")
		}},
		{name: "deletes seen", do: func(e *Tracking) {
			e.ExpectDeletions("k", []string{"ns/a", "ns/b"})
			e.DeletionObserved("k", "ns/a")
			e.DeletionObserved("k", "ns/b")
		}, want: true},
		{name: "creates replace deletes", do: func(e *Tracking) { e.ExpectDeletions("k", []string{"ns/a"}); e.ExpectCreations("k", 0) }, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewTracking(testclock.NewFakeClock(time.Unix(0, 0)))
			tc.do(e)
			if got := e.Satisfied("k"); got != tc.want {
				t.Errorf("Satisfied = %t, want %t", got, tc.want)
			}
		})
	}
}
