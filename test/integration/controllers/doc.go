// Package controllers holds integration tests of the workload controllers
// against the in-process API server: real storage, admission and status
// subresources, and the controllers' own shared informers. No node agent
// runs, so pods stay Pending unless a test writes their status.
package controllers
