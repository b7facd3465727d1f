// Package secret stores core/v1 Secrets (secrets).
package secret
