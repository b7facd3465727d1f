// Package endpoints stores core/v1 Endpointss (endpoints).
package endpoints
