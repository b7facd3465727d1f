package proxy

import (
	"bytes"
	"context"
	"errors"
	"slices"

	"k8s.io/klog/v2"
)

// Cleanup removes every rule and chain the proxy makes (the jump rules,
// the fixed chains and the per-service chains, in the nat and filter
// tables) and sets route_localnet back to 0 if the proxy set it. It leaves
// the agent's chains (KUBESHIM-FORWARD) and the service CIDR's sink route
// alone, carries on past failures and reports them all. Running it twice
// is harmless.
func Cleanup(ctx context.Context) error {
	ipt, err := newHostIPTables()
	if err != nil {
		return err
	}
	return cleanup(ctx, ipt, sysctls{root: procSys, stateDir: defaultStateDir})
}

func cleanup(ctx context.Context, ipt packetFilter, sys sysctls) error {
	logger := klog.FromContext(ctx)
	var errs []error
	// The jumps first: a chain still referenced cannot be deleted.
	errs = append(errs, ipt.DeleteJumps(jumps(true)))
	var b bytes.Buffer
	var removed int
	for _, table := range []string{"filter", "nat"} {
		save, err := ipt.Save(table)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var ours []string
		for _, c := range chainsOf(save) {
			if slices.Contains(fixedChains[table], c) || (table == "nat" && isServiceChain(c)) {
				ours = append(ours, c)
			}
		}
		if len(ours) == 0 {
			continue
		}
		// Flush them all, then delete them all: they refer to each other.
		b.WriteString("*" + table + "\n")
		for _, c := range ours {
			writeChainLine(&b, c)
		}
		for _, c := range ours {
			b.WriteString("-X " + c + "\n")
		}
		b.WriteString("COMMIT\n")
		removed += len(ours)
	}
	if b.Len() > 0 {
		errs = append(errs, ipt.Restore(b.Bytes()))
	}
	errs = append(errs, sys.restoreRouteLocalnet())
	logger.Info("Removed the service proxy's rules", "chains", removed)
	return errors.Join(errs...)
}
