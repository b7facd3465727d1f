package ipallocator

import (
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	netutils "k8s.io/utils/net"
)

func mustCIDR(t *testing.T, s string) *net.IPNet {
	t.Helper()
	_, cidr, err := netutils.ParseCIDRSloppy(s)
	if err != nil {
		t.Fatal(err)
	}
	return cidr
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestNew(t *testing.T) {
	tests := []struct {
		cidr     string
		wantErr  string
		wantFree int64
	}{
		{cidr: "10.96.0.0/12", wantFree: 1<<20 - 2},
		{cidr: "192.168.1.0/30", wantFree: 2},
		{cidr: "192.168.1.0/31", wantErr: "service IP range 192.168.1.0/31 has no usable addresses"},
		{cidr: "192.168.1.1/32", wantErr: "service IP range 192.168.1.1/32 has no usable addresses"},
		{cidr: "fd00::/120", wantFree: 255},
	}
	for _, tc := range tests {
		t.Run(tc.cidr, func(t *testing.T) {
			r, err := New(mustCIDR(t, tc.cidr))
			if diff := cmp.Diff(tc.wantErr, errString(err)); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if err == nil && r.Free() != tc.wantFree {
				t.Errorf("Free() = %d, want %d", r.Free(), tc.wantFree)
			}
		})
	}
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		name string
		cidr string
		// ips are allocated in turn; want holds each one's error.
		ips  []string
		want []string
	}{{
		name: "reserved addresses can be asked for",
		cidr: "10.96.0.0/12",
		ips:  []string{"10.96.0.1", "10.96.0.10"},
		want: []string{"", ""},
	}, {
		name: "twice",
		cidr: "10.96.0.0/12",
		ips:  []string{"10.100.0.50", "10.100.0.50"},
		want: []string{"", "provided IP is already allocated"},
	}, {
		name: "network and broadcast addresses",
		cidr: "10.96.0.0/12",
		ips:  []string{"10.96.0.0", "10.111.255.255", "10.111.255.254"},
		want: []string{
			"the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12",
			"the provided IP (10.111.255.255) is not in the valid range. The range of valid IPs is 10.96.0.0/12",
			"",
		},
	}, {
		name: "outside the CIDR",
		cidr: "10.96.0.0/12",
		ips:  []string{"10.112.0.1", "192.168.0.1", "fd00::1"},
		want: []string{
			"the provided network does not match the current range",
			"the provided network does not match the current range",
			"the provided network does not match the current range",
		},
	}, {
		name: "IPv6 has no broadcast address",
		cidr: "fd00::/120",
		ips:  []string{"fd00::", "fd00::ff"},
		want: []string{"the provided IP (fd00::) is not in the valid range. The range of valid IPs is fd00::/120", ""},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cidr := mustCIDR(t, tc.cidr)
			r, err := New(cidr, netutils.ParseIPSloppy("10.96.0.1"), netutils.ParseIPSloppy("10.96.0.10"))
			if err != nil {
				t.Fatal(err)
			}
			var got, checked []string
			for _, s := range tc.ips {
				ip := netutils.ParseIPSloppy(s)
				checked = append(checked, errString(r.Check(ip)))
				got = append(got, errString(r.Allocate(ip)))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Allocate errors (-want +got):\n%s", diff)
			}
			// Check answers as Allocate does, but takes nothing.
			if diff := cmp.Diff(tc.want, checked); diff != "" {
				t.Errorf("Check errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAllocateNext checks upstream's banding: dynamic addresses come from
// above the lower band while there is room, and reserved ones never.
func TestAllocateNext(t *testing.T) {
	tests := []struct {
		name     string
		cidr     string
		reserved []string
		// n addresses are allocated; each must be inside want (first and
		// last, inclusive) and not reserved.
		n           int
		first, last string
		// full: after n, the range is full.
		full bool
	}{{
		name: "default range leaves its first 256 addresses",
		cidr: "10.96.0.0/12", reserved: []string{"10.96.0.1", "10.96.0.10"},
		n: 2000, first: "10.96.1.1", last: "10.111.255.254",
	}, {
		name: "a /24 leaves its first 16",
		cidr: "10.0.0.0/24",
		n:    254 - 16, first: "10.0.0.17", last: "10.0.0.254",
	}, {
		name: "then falls back to the lower band, reserved addresses aside",
		cidr: "10.0.0.0/24", reserved: []string{"10.0.0.1", "10.0.0.10"},
		n: 252, first: "10.0.0.2", last: "10.0.0.254", full: true,
	}, {
		name: "a /28 has no lower band",
		cidr: "10.0.0.0/28", reserved: []string{"10.0.0.1", "10.0.0.10"},
		n: 12, first: "10.0.0.2", last: "10.0.0.14", full: true,
	}, {
		name: "IPv6",
		cidr: "fd00::/112", reserved: []string{"fd00::1", "fd00::a"},
		n: 500, first: "fd00::101", last: "fd00::ffff",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var reserved []net.IP
			for _, s := range tc.reserved {
				reserved = append(reserved, netutils.ParseIPSloppy(s))
			}
			r, err := New(mustCIDR(t, tc.cidr), reserved...)
			if err != nil {
				t.Fatal(err)
			}
			first, last := netutils.BigForIP(netutils.ParseIPSloppy(tc.first)), netutils.BigForIP(netutils.ParseIPSloppy(tc.last))
			seen := map[string]bool{}
			for range tc.n {
				ip, err := r.AllocateNext()
				if err != nil {
					t.Fatalf("AllocateNext() after %d: %v", len(seen), err)
				}
				b := netutils.BigForIP(ip)
				if b.Cmp(first) < 0 || b.Cmp(last) > 0 {
					t.Errorf("AllocateNext() = %s, want within %s-%s", ip, tc.first, tc.last)
				}
				for _, res := range reserved {
					if ip.Equal(res) {
						t.Errorf("AllocateNext() = reserved %s", ip)
					}
				}
				if seen[ip.String()] {
					t.Errorf("AllocateNext() = %s twice", ip)
				}
				seen[ip.String()] = true
				if !r.Has(ip) {
					t.Errorf("Has(%s) = false after AllocateNext", ip)
				}
			}
			if tc.full {
				ip, err := r.AllocateNext()
				if diff := cmp.Diff(ErrFull.Error(), errString(err)); diff != "" {
					t.Errorf("AllocateNext() = %v, error (-want +got):\n%s", ip, diff)
				}
			}
		})
	}
}

func TestReleaseAndPeek(t *testing.T) {
	r, err := New(mustCIDR(t, "10.0.0.0/29")) // .1 - .6
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"} {
		if err := r.Allocate(netutils.ParseIPSloppy(s)); err != nil {
			t.Fatal(err)
		}
	}
	peeked, err := r.Peek(netutils.ParseIPSloppy("10.0.0.5"))
	if diff := cmp.Diff("10.0.0.6", peeked.String()); err != nil || diff != "" {
		t.Errorf("Peek(10.0.0.5) = %v, %v; (-want +got):\n%s", peeked, err, diff)
	}
	if r.Used() != 4 {
		t.Errorf("Used() = %d after Peek, want 4", r.Used())
	}
	r.Release(netutils.ParseIPSloppy("10.0.0.2"))
	r.Release(netutils.ParseIPSloppy("10.0.0.2"))    // twice: nothing
	r.Release(netutils.ParseIPSloppy("192.168.0.2")) // outside: nothing
	if r.Has(netutils.ParseIPSloppy("10.0.0.2")) || r.Used() != 3 {
		t.Errorf("after Release: Has(10.0.0.2) = %v, Used() = %d; want false, 3", r.Has(netutils.ParseIPSloppy("10.0.0.2")), r.Used())
	}
	if err := r.Allocate(netutils.ParseIPSloppy("10.0.0.2")); err != nil {
		t.Errorf("Allocate(released) = %v", err)
	}
}
