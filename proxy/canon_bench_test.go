package proxy

import (
	"os"
	"testing"
)

// BenchmarkFullPayloadOver is the Go side of a full sync over a table that
// holds the rules already (1,000 services, 10 endpoints each): reading the
// iptables-save listing and comparing it with the rule set. The listing is
// the rule set's own payload: canonicalRule makes it compare as the
// kernel's would.
func BenchmarkFullPayloadOver(b *testing.B) {
	services, slices := clusterObjects(1000, 10)
	r := Build(NewSnapshot(services, slices, testNode), testParams(), nil)
	save := natSection(r.Payload(nil, nil))
	if s, err := os.ReadFile(os.Getenv("KUBESHIM_BENCH_SAVE")); err == nil {
		save = s // a real listing, to compare the cost
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		size = len(r.FullPayload(mustParseSave(b, save)))
	}
	b.ReportMetric(float64(size), "payload-bytes")
}
