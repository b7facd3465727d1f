// Package resourceclaim stores resource.k8s.io/v1 ResourceClaims
// (resourceclaims and their status): requests for devices, which the
// scheduler allocates through the status.
package resourceclaim
