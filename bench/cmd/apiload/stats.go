package main

import (
	"fmt"
	"slices"
	"time"
)

// result summarizes one phase.
type result struct {
	op     string
	count  int
	errors int
	perSec float64
	p50    time.Duration
	p99    time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("%-7s %6d %6d %9.1f %8.1f %8.1f", r.op, r.count, r.errors, r.perSec, ms(r.p50), ms(r.p99))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// summarize computes the throughput over elapsed and the latency
// percentiles of the measured operations, failed ones included.
func summarize(latencies []time.Duration, errors int, elapsed time.Duration) result {
	r := result{count: len(latencies), errors: errors}
	if len(latencies) == 0 || elapsed <= 0 {
		return r
	}
	slices.Sort(latencies)
	r.perSec = float64(len(latencies)) / elapsed.Seconds()
	r.p50 = percentile(latencies, 50)
	r.p99 = percentile(latencies, 99)
	return r
}

// percentile returns the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}
