package simulated

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPool(t *testing.T) {
	type op struct {
		release string // release this owner first, if set
		owner   string
		want    string // the address allocate returns, or "full"
	}
	tests := []struct {
		name string
		cidr string
		ops  []op
	}{
		{
			name: "skips the network, first and broadcast addresses",
			cidr: "10.244.3.0/30",
			ops:  []op{{owner: "a", want: "10.244.3.2"}, {owner: "b", want: "full"}},
		},
		{
			name: "an owner keeps its address",
			cidr: "10.244.0.0/24",
			ops:  []op{{owner: "a", want: "10.244.0.2"}, {owner: "b", want: "10.244.0.3"}, {owner: "a", want: "10.244.0.2"}},
		},
		{
			name: "a freed address is reused once the cursor comes round",
			cidr: "10.244.0.0/29", // .2 to .6
			ops: []op{
				{owner: "a", want: "10.244.0.2"},
				{owner: "b", want: "10.244.0.3"},
				{release: "a", owner: "c", want: "10.244.0.4"},
				{owner: "d", want: "10.244.0.5"},
				{owner: "e", want: "10.244.0.6"},
				{owner: "f", want: "10.244.0.2"},
				{owner: "g", want: "full"},
				{release: "c", owner: "g", want: "10.244.0.4"},
			},
		},
		{
			name: "IPv6 has no broadcast address",
			cidr: "fd00:10:244::/126",
			ops:  []op{{owner: "a", want: "fd00:10:244::2"}, {owner: "b", want: "fd00:10:244::3"}, {owner: "c", want: "full"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newPool(tt.cidr)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, o := range tt.ops {
				if o.release != "" {
					p.release(o.release)
				}
				a, err := p.allocate(o.owner)
				switch {
				case errors.Is(err, errPoolFull):
					got = append(got, "full")
				case err != nil:
					t.Fatalf("allocate(%s): %v", o.owner, err)
				default:
					got = append(got, a.String())
				}
				want = append(want, o.want)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("addresses (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPoolRejectsTinyCIDRs(t *testing.T) {
	for _, cidr := range []string{"10.0.0.0/31", "10.0.0.1/32", "nonsense"} {
		if _, err := newPool(cidr); err == nil {
			t.Errorf("newPool(%q) succeeded", cidr)
		}
	}
}

func TestIPAMReserve(t *testing.T) {
	m := newIPAM()
	cidr := "10.244.1.0/24"
	tests := []struct {
		name string
		uid  string
		ip   string
		want bool
	}{
		{"an address of the CIDR", "a", "10.244.1.7", true},
		{"the same again", "a", "10.244.1.7", true},
		{"held by another pod", "b", "10.244.1.7", false},
		{"outside the CIDR", "c", "10.244.2.7", false},
		{"the bridge's address", "d", "10.244.1.1", false},
		{"the broadcast address", "e", "10.244.1.255", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.reserve("n", cidr, tt.uid, netip.MustParseAddr(tt.ip)); got != tt.want {
				t.Errorf("reserve(%s, %s) = %v, want %v", tt.uid, tt.ip, got, tt.want)
			}
		})
	}
	// A reserved address is not handed out; released, it is again.
	for i := 2; i < 7; i++ {
		if _, err := m.allocate("n", cidr, string(rune('p'+i))); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := m.allocate("n", cidr, "x")
	if a.String() != "10.244.1.8" {
		t.Errorf("allocate after the reserved .7 = %s, want 10.244.1.8", a)
	}
	m.release("a")
	if p := m.pools["n"]; p.used[netip.MustParseAddr("10.244.1.7")] != "" {
		t.Errorf("10.244.1.7 still held after release")
	}
}

func TestNodeAddress(t *testing.T) {
	a, b := nodeAddress("sim", 0), nodeAddress("sim", 256)
	if !a.IsLoopback() || !b.IsLoopback() || a == b {
		t.Errorf("nodeAddress: %s and %s, want two different loopback addresses", a, b)
	}
	if last := nodeAddress("sim", MaxCount-1); !last.IsLoopback() {
		t.Errorf("nodeAddress of the last node %s is not loopback", last)
	}
}

func TestFirstRenewal(t *testing.T) {
	const interval = 10_000_000_000 // 10 s
	var got []int64
	for i := 0; i < 5; i++ {
		got = append(got, int64(firstRenewal(i, 5, interval)))
	}
	want := []int64{0, 2e9, 4e9, 6e9, 8e9}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first renewals of 5 nodes over 10 s (-want +got):\n%s", diff)
	}
}
