// Package endpointslice stores discovery/v1 EndpointSlices (endpointslices).
package endpointslice
