package simulated

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
)

// errPoolFull is returned when a node's pod CIDR has no free address.
var errPoolFull = errors.New("no free address in the node's pod CIDR")

// pool hands out the pod addresses of one node's pod CIDR, as the real
// agent's host-local IPAM does: never the network address, the first
// address (the bridge's, on a real node) or the IPv4 broadcast address; a
// freed address is handed out again once the cursor comes round, so that a
// just-deleted pod's address is not reused at once.
type pool struct {
	prefix netip.Prefix
	first  netip.Addr // the first address handed out
	last   netip.Addr // the last address handed out
	next   netip.Addr // where the search for a free address starts
	used   map[netip.Addr]string
}

func newPool(cidr string) (*pool, error) {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("pod CIDR %q: %w", cidr, err)
	}
	prefix = prefix.Masked()
	bits := prefix.Addr().BitLen() - prefix.Bits()
	if bits < 2 {
		return nil, fmt.Errorf("pod CIDR %q: too small for pods", cidr)
	}
	first := prefix.Addr().Next().Next()
	last := lastAddr(prefix)
	if prefix.Addr().Is4() {
		last = last.Prev() // the broadcast address
	}
	if last.Less(first) {
		return nil, fmt.Errorf("pod CIDR %q: too small for pods", cidr)
	}
	return &pool{prefix: prefix, first: first, last: last, next: first, used: map[netip.Addr]string{}}, nil
}

// lastAddr is the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// allocate returns owner's address: the one it holds, or a free one.
func (p *pool) allocate(owner string) (netip.Addr, error) {
	for a, o := range p.used {
		if o == owner {
			return a, nil
		}
	}
	a := p.next
	for range len(p.used) + 1 {
		if _, taken := p.used[a]; !taken {
			p.used[a] = owner
			p.next = p.advance(a)
			return a, nil
		}
		a = p.advance(a)
	}
	return netip.Addr{}, errPoolFull
}

func (p *pool) advance(a netip.Addr) netip.Addr {
	if a == p.last {
		return p.first
	}
	return a.Next()
}

// reserve records that owner holds a, an address it was given before (by
// an earlier run of the agent). It reports false when a is not one of the
// pool's or another owner holds it.
func (p *pool) reserve(a netip.Addr, owner string) bool {
	if !p.prefix.Contains(a) || a.Less(p.first) || p.last.Less(a) {
		return false
	}
	if o, taken := p.used[a]; taken && o != owner {
		return false
	}
	p.used[a] = owner
	return true
}

func (p *pool) release(owner string) {
	for a, o := range p.used {
		if o == owner {
			delete(p.used, a)
		}
	}
}

// ipam is the pools of all the agent's nodes. Owners are pod UIDs.
type ipam struct {
	mu    sync.Mutex
	pools map[string]*pool // by node name
	// owners maps a pod UID to its node, to release it without a search.
	owners map[string]string
}

func newIPAM() *ipam {
	return &ipam{pools: map[string]*pool{}, owners: map[string]string{}}
}

// pool returns node's pool for cidr, made anew if the CIDR changed (which
// the API allows only from empty).
func (m *ipam) pool(node, cidr string) (*pool, error) {
	p := m.pools[node]
	if p != nil && p.prefix.String() == cidr {
		return p, nil
	}
	p, err := newPool(cidr)
	if err != nil {
		return nil, err
	}
	m.pools[node] = p
	return p, nil
}

// allocate returns pod uid's address on node, whose pod CIDR is cidr.
func (m *ipam) allocate(node, cidr, uid string) (netip.Addr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := m.pool(node, cidr)
	if err != nil {
		return netip.Addr{}, err
	}
	a, err := p.allocate(uid)
	if err == nil {
		m.owners[uid] = node
	}
	return a, err
}

// reserve records that pod uid holds ip on node, reporting false when it
// cannot (ip outside the CIDR or held by another pod).
func (m *ipam) reserve(node, cidr, uid string, ip netip.Addr) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := m.pool(node, cidr)
	if err != nil || !p.reserve(ip, uid) {
		return false
	}
	m.owners[uid] = node
	return true
}

func (m *ipam) release(uid string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	node, ok := m.owners[uid]
	if !ok {
		return
	}
	delete(m.owners, uid)
	if p := m.pools[node]; p != nil {
		p.release(uid)
	}
}
