// Package simulated holds the integration tests of the simulated nodes
// (nodeagent/simulated) against a real in-process API server, whose
// controllers give the nodes their pod CIDRs and watch their leases.
package simulated
