// Package node stores core/v1 Nodes. A node is created by its agent with its
// status, which is kept; later status changes go through the status
// subresource.
package node
