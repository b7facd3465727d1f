// Package deployment stores apps/v1 Deployments (deployments).
package deployment
