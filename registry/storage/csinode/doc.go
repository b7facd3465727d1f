// Package csinode stores storage/v1 CSINodes (csinodes).
package csinode
