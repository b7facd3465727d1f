package service

import (
	"context"
	"net"
	"slices"

	"github.com/kubeshim/kubeshim/registry/core/service/ipallocator"
	"github.com/kubeshim/kubeshim/registry/core/service/portallocator"
)

// op is what one write of a service takes from and gives back to the
// allocators. Values are taken at once and given back on revert; releases
// wait for commit, so a write that fails keeps what it would have released.
// It is better to hold a value a moment too long than to hand it out twice.
//
// A dry-run op takes and releases nothing: it checks requested values as a
// real op would and answers with values AllocateNext could give.
type op struct {
	ips    *ipallocator.Range
	ports  *portallocator.Range
	dryRun bool

	takenIPs     []net.IP
	takenPorts   []int
	releaseIPs   []net.IP
	releasePorts []int
}

func (a *allocators) newOp(dryRun bool) *op {
	return &op{ips: a.ips, ports: a.ports, dryRun: dryRun}
}

func (o *op) allocateIP(ip net.IP) error {
	if o.dryRun {
		if slices.ContainsFunc(o.takenIPs, ip.Equal) {
			return ipallocator.ErrAllocated
		}
		if err := o.ips.Check(ip); err != nil {
			return err
		}
	} else if err := o.ips.Allocate(ip); err != nil {
		return err
	}
	o.takenIPs = append(o.takenIPs, ip)
	return nil
}

func (o *op) allocateNextIP() (net.IP, error) {
	var ip net.IP
	var err error
	if o.dryRun {
		ip, err = o.ips.Peek(o.takenIPs...)
	} else {
		ip, err = o.ips.AllocateNext()
	}
	if err != nil {
		return nil, err
	}
	o.takenIPs = append(o.takenIPs, ip)
	return ip, nil
}

func (o *op) allocatePort(port int) error {
	if o.dryRun {
		if slices.Contains(o.takenPorts, port) {
			return portallocator.ErrAllocated
		}
		if err := o.ports.Check(port); err != nil {
			return err
		}
	} else if err := o.ports.Allocate(port); err != nil {
		return err
	}
	o.takenPorts = append(o.takenPorts, port)
	return nil
}

func (o *op) allocateNextPort() (int, error) {
	var port int
	var err error
	if o.dryRun {
		port, err = o.ports.Peek(o.takenPorts...)
	} else {
		port, err = o.ports.AllocateNext()
	}
	if err != nil {
		return 0, err
	}
	o.takenPorts = append(o.takenPorts, port)
	return port, nil
}

// releaseIPLater and releasePortLater give a value back on commit.
func (o *op) releaseIPLater(ip net.IP)  { o.releaseIPs = append(o.releaseIPs, ip) }
func (o *op) releasePortLater(port int) { o.releasePorts = append(o.releasePorts, port) }

// commit gives back what the written object no longer holds.
func (o *op) commit() {
	if !o.dryRun {
		for _, ip := range o.releaseIPs {
			o.ips.Release(ip)
		}
		for _, port := range o.releasePorts {
			o.ports.Release(port)
		}
	}
	o.takenIPs, o.takenPorts, o.releaseIPs, o.releasePorts = nil, nil, nil, nil
}

// revert gives back what the op took. It is idempotent.
func (o *op) revert() {
	if !o.dryRun {
		for _, ip := range o.takenIPs {
			o.ips.Release(ip)
		}
		for _, port := range o.takenPorts {
			o.ports.Release(port)
		}
	}
	o.takenIPs, o.takenPorts, o.releaseIPs, o.releasePorts = nil, nil, nil, nil
}

// finish is the op's genericregistry.FinishFunc. The store calls it with
// success once the object is ready to be written: after the write for a
// create, but before it for an update, whose write can still fail or be
// retried on a conflict. Inside REST.Update the op therefore waits in the
// request's pending slot until the write's outcome is known.
func (o *op) finish(ctx context.Context, success bool) {
	switch p := pendingFrom(ctx); {
	case !success:
		o.revert()
	case p != nil:
		p.op = o
	default:
		o.commit()
	}
}

// pending is the op of an update's latest attempt, settled when the update
// returns.
type pending struct{ op *op }

type pendingKey struct{}

func withPending(ctx context.Context) (context.Context, *pending) {
	p := &pending{}
	return context.WithValue(ctx, pendingKey{}, p), p
}

func pendingFrom(ctx context.Context) *pending {
	p, _ := ctx.Value(pendingKey{}).(*pending)
	return p
}

// settle commits the op whose object was written, or reverts it.
func (p *pending) settle(written bool) {
	if p == nil || p.op == nil {
		return
	}
	if written {
		p.op.commit()
	} else {
		p.op.revert()
	}
	p.op = nil
}

// retry reverts the op of an earlier attempt of the same update: the store
// tries again only when that attempt's object was not written.
func (p *pending) retry() { p.settle(false) }
