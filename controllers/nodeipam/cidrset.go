package nodeipam

import (
	"errors"
	"fmt"
	"math/big"
	"net"
)

// errFull is returned when a range has no free subnet.
var errFull = errors.New("no remaining CIDRs in the cluster CIDR")

// maxSubnetBits bounds how many subnets one range is cut into (2^16), as
// upstream, which keeps the bitmap small.
const maxSubnetBits = 16

// cidrSet is the allocation bitmap of one cluster CIDR. It is not safe for
// concurrent use.
type cidrSet struct {
	cluster  *net.IPNet
	nodeMask int
	size     int
	used     big.Int
	inUse    int
	next     int
}

func newCIDRSet(cluster *net.IPNet, nodeMask int) (*cidrSet, error) {
	clusterMask, bits := cluster.Mask.Size()
	if nodeMask < clusterMask || nodeMask > bits {
		return nil, fmt.Errorf("node mask size /%d does not fit in cluster CIDR %s", nodeMask, cluster)
	}
	if nodeMask-clusterMask > maxSubnetBits {
		return nil, fmt.Errorf("cluster CIDR %s would hold more than 2^%d node subnets of /%d", cluster, maxSubnetBits, nodeMask)
	}
	return &cidrSet{cluster: cluster, nodeMask: nodeMask, size: 1 << (nodeMask - clusterMask)}, nil
}

// subnet returns the i-th node subnet.
func (s *cidrSet) subnet(i int) *net.IPNet {
	_, bits := s.cluster.Mask.Size()
	ip := new(big.Int).SetBytes(ipBytes(s.cluster.IP, bits))
	ip.Add(ip, new(big.Int).Lsh(big.NewInt(int64(i)), uint(bits-s.nodeMask)))
	b := ip.Bytes()
	out := make(net.IP, bits/8)
	copy(out[len(out)-len(b):], b)
	return &net.IPNet{IP: out, Mask: net.CIDRMask(s.nodeMask, bits)}
}

// index returns the index of a node subnet of this range.
func (s *cidrSet) index(subnet *net.IPNet) (int, error) {
	ones, bits := subnet.Mask.Size()
	if _, clusterBits := s.cluster.Mask.Size(); bits != clusterBits || ones != s.nodeMask || !s.cluster.Contains(subnet.IP) {
		return 0, fmt.Errorf("%s is not a /%d subnet of %s", subnet, s.nodeMask, s.cluster)
	}
	off := new(big.Int).Sub(new(big.Int).SetBytes(ipBytes(subnet.IP, bits)), new(big.Int).SetBytes(ipBytes(s.cluster.IP, bits)))
	off.Rsh(off, uint(bits-ones))
	return int(off.Int64()), nil
}

// allocateNext takes the next free subnet after the last one taken.
func (s *cidrSet) allocateNext() (*net.IPNet, error) {
	if s.inUse == s.size {
		return nil, errFull
	}
	i := s.next
	for s.used.Bit(i) == 1 {
		i = (i + 1) % s.size
	}
	s.next = (i + 1) % s.size
	s.used.SetBit(&s.used, i, 1)
	s.inUse++
	return s.subnet(i), nil
}

// occupy marks subnet as taken; it is idempotent.
func (s *cidrSet) occupy(subnet *net.IPNet) error {
	i, err := s.index(subnet)
	if err != nil {
		return err
	}
	if s.used.Bit(i) == 0 {
		s.used.SetBit(&s.used, i, 1)
		s.inUse++
	}
	return nil
}

// release frees subnet; it is idempotent.
func (s *cidrSet) release(subnet *net.IPNet) error {
	i, err := s.index(subnet)
	if err != nil {
		return err
	}
	if s.used.Bit(i) == 1 {
		s.used.SetBit(&s.used, i, 0)
		s.inUse--
	}
	return nil
}

// ipBytes is ip in the form of a mask of bits bits: 4 bytes for IPv4.
func ipBytes(ip net.IP, bits int) []byte {
	if bits == 32 {
		return ip.To4()
	}
	return ip.To16()
}
