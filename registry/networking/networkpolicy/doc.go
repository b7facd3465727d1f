// Package networkpolicy stores networking/v1 NetworkPolicys (networkpolicies).
package networkpolicy
