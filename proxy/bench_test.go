package proxy

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/klog/v2"
)

// clusterObjects makes n services with e endpoints each: every fourth a
// NodePort service, every tenth with ClientIP affinity, endpoints spread
// over four nodes (one of them this node).
func clusterObjects(n, e int) ([]*corev1.Service, []*discoveryv1.EndpointSlice) {
	var services []*corev1.Service
	var slices []*discoveryv1.EndpointSlice
	for i := 0; i < n; i++ {
		ns, name := fmt.Sprintf("ns-%d", i%50), fmt.Sprintf("svc-%d", i)
		var opts []func(*corev1.Service)
		port := "http:80/TCP"
		if i%4 == 0 {
			opts = append(opts, nodePortType)
			port = fmt.Sprintf("http:80:%d/TCP", 30000+i)
		}
		if i%10 == 0 {
			opts = append(opts, affinity(10800))
		}
		services = append(services, svc(ns, name, fmt.Sprintf("10.96.%d.%d", i/250, i%250+1), []string{port}, opts...))
		slices = append(slices, testSlice(ns, name, i, e, 0))
	}
	return services, slices
}

// testSlice is service i's slice; gen shifts the addresses, as a
// rollout would.
func testSlice(ns, name string, i, e, gen int) *discoveryv1.EndpointSlice {
	var eps []ep
	for j := 0; j < e; j++ {
		k := i*e + j + gen*7
		eps = append(eps, ep(fmt.Sprintf("10.244.%d.%d@node-%c", (k/250)%256, k%250+1, "abcd"[k%4])))
	}
	return slice(ns, name, name+"-1", []string{"http:8080/TCP"}, eps...)
}

func clusterSnapshot(n, e int) *Snapshot {
	services, slices := clusterObjects(n, e)
	return NewSnapshot(services, slices, testNode)
}

// BenchmarkFullSync builds the snapshot, the rule set and the full payload
// for 1,000 services with 10 endpoints each: a proxy's first sync.
func BenchmarkFullSync(b *testing.B) {
	services, slices := clusterObjects(1000, 10)
	p := testParams()
	b.ReportAllocs()
	var size int
	for b.Loop() {
		r := Build(NewSnapshot(services, slices, testNode), p, nil)
		size = len(r.Payload(nil, nil))
	}
	b.ReportMetric(float64(size), "payload-bytes")
}

// BenchmarkOneChange is a sync after one service's endpoints changed in
// that cluster, as the proxy does it: the snapshot and rule set reuse
// what did not change, and the payload has the changed service's chains.
func BenchmarkOneChange(b *testing.B) {
	services, slices := clusterObjects(1000, 10)
	p := testParams()
	sn := newSnapshotter(testNode)
	prev := Build(sn.snapshot(services, slices), p, nil)
	svc := services[500]
	versions := [2]*discoveryv1.EndpointSlice{testSlice(svc.Namespace, svc.Name, 500, 10, 1), testSlice(svc.Namespace, svc.Name, 500, 10, 2)}
	b.ReportAllocs()
	var size, i int
	for b.Loop() {
		slices[500] = versions[i%2]
		i++
		r := Build(sn.snapshot(services, slices), p, prev)
		size = len(r.Payload(prev, r.StaleSince(prev)))
		prev = r
	}
	b.ReportMetric(float64(size), "payload-bytes")
}

// BenchmarkNetnsSync is a whole sync with the real iptables, in a network
// namespace of its own (root only): building plus restoring, for 1,000
// services with 10 endpoints each. "first" is the proxy's first sync into
// empty tables (emptied by the proxy's cleanup outside the timer);
// "resync" the proxy's full sync over the same rules already there (after
// an agent restart, say): iptables-save, then a payload with the fixed
// chains and whatever per-service chain differs, here none; "rewrite-all"
// the same table rewritten whole, as full syncs were before; "one-change"
// a sync after one service changed.
func BenchmarkNetnsSync(b *testing.B) {
	ns := newTestNetns(b)
	ipt := newNSFilter(b, ns)
	if err := ipt.EnsureJumps(jumps(true)); err != nil {
		b.Fatal(err)
	}
	services, slices := clusterObjects(1000, 10)
	p := testParams()
	// fullSync is the proxy's full sync (Proxy.sync with full set).
	// It returns the payload's per-service chain lines.
	fullSync := func(b *testing.B, ipt nsFilter) int {
		r := Build(NewSnapshot(services, slices, testNode), p, nil)
		save, err := ipt.Save("nat")
		if err != nil {
			b.Fatal(err)
		}
		payload := r.FullPayload(mustParseSave(b, save))
		if err := ipt.Restore(payload); err != nil {
			b.Fatal(err)
		}
		return bytes.Count(payload, []byte("\n:KUBESHIM-SVC-")) + bytes.Count(payload, []byte("\n:KUBESHIM-SEP-"))
	}
	b.Run("first", func(b *testing.B) {
		ctx := klog.NewContext(context.Background(), logr.Discard())
		for range b.N {
			// Empty tables: the proxy's cleanup, outside the timer, and
			// time for the kernel to free the rules it deleted, which it
			// does in the background.
			b.StopTimer()
			if err := cleanup(ctx, ipt, sysctls{root: b.TempDir(), stateDir: b.TempDir()}); err != nil {
				b.Fatal(err)
			}
			if err := ipt.EnsureJumps(jumps(true)); err != nil {
				b.Fatal(err)
			}
			time.Sleep(2 * time.Second)
			b.StartTimer()
			fullSync(b, ipt)
		}
	})
	b.Run("resync", func(b *testing.B) {
		fullSync(b, ipt)
		for b.Loop() {
			// Over the same rules nothing per service is written.
			if n := fullSync(b, ipt); n != 0 {
				b.Fatalf("a resync over the same rules writes %d per-service chains", n)
			}
		}
	})
	b.Run("rewrite-all", func(b *testing.B) {
		for b.Loop() {
			r := Build(NewSnapshot(services, slices, testNode), p, nil)
			if err := ipt.Restore(r.Payload(nil, nil)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one-change", func(b *testing.B) {
		sn := newSnapshotter(testNode)
		prev := Build(sn.snapshot(services, slices), p, nil)
		if err := ipt.Restore(prev.Payload(nil, nil)); err != nil {
			b.Fatal(err)
		}
		svc := services[500]
		versions := [2]*discoveryv1.EndpointSlice{testSlice(svc.Namespace, svc.Name, 500, 10, 1), testSlice(svc.Namespace, svc.Name, 500, 10, 2)}
		var i int
		for b.Loop() {
			slices[500] = versions[i%2]
			i++
			r := Build(sn.snapshot(services, slices), p, prev)
			if err := ipt.Restore(r.Payload(prev, r.StaleSince(prev))); err != nil {
				b.Fatal(err)
			}
			prev = r
		}
	})
}
