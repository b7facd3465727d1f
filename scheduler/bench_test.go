package scheduler

import (
	"context"
	"fmt"
	"testing"

	"github.com/kubeshim/kubeshim/scheduler/framework"
	"github.com/kubeshim/kubeshim/scheduler/plugins"
)

// BenchmarkSchedule measures the scheduling core alone, as the scheduling
// goroutine runs it for each pod: bring the snapshot up to date, run the
// default profile's filters and scores, assume the pod on the chosen node.
// No server, no binding.
//
//	go test -run '^$' -bench BenchmarkSchedule -benchtime 10000x ./scheduler/
//
// Nodes have 64 cpu and room for 1000 pods, in 3 zones; each pod asks for
// 100m and 128Mi, so 10,000 pods fit 100 nodes.
func BenchmarkSchedule(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("%dNodes", n), func(b *testing.B) {
			ctx := context.Background()
			fw, err := framework.New(ctx, plugins.NewRegistry(), framework.Profile{Plugins: plugins.DefaultPlugins()}, nil)
			if err != nil {
				b.Fatal(err)
			}
			newCache := func() *clusterCache {
				c := newClusterCache()
				for i := 0; i < n; i++ {
					c.AddNode(testNode(fmt.Sprintf("node-%05d", i), fmt.Sprintf("zone-%d", i%3)))
				}
				return c
			}
			c := newCache()
			snap := c.UpdateSnapshot(nil)
			// Refill before the smallest cluster runs out of pod slots.
			const refill = 50_000
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i > 0 && i%refill == 0 {
					b.StopTimer()
					c = newCache()
					snap = c.UpdateSnapshot(nil)
					b.StartTimer()
				}
				pod := testPod(fmt.Sprintf("pod-%d", i), "", "100m")
				snap = c.UpdateSnapshot(snap)
				res, err := fw.Schedule(ctx, pod, snap)
				if err != nil {
					b.Fatalf("pod %d: %v", i, err)
				}
				assumed := *pod
				assumed.Spec.NodeName = res.Node
				if err := c.AssumePod(&assumed); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pods/s")
		})
	}
}
