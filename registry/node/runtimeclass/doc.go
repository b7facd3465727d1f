// Package runtimeclass stores node/v1 RuntimeClasss (runtimeclasses).
package runtimeclass
