// Package lease stores coordination/v1 Leases (leases).
package lease
