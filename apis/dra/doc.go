// Package dra is what the resource.k8s.io API group (dynamic resource
// allocation) means beyond its k8s.io/api types: upstream's defaults,
// validation and field selectors for DeviceClasses, ResourceClaims,
// ResourceClaimTemplates, ResourceSlices and DeviceTaintRules, and the
// dropping of fields whose upstream feature gates are alpha (off by default)
// in 1.37.
//
// The package is not named after the group: registry/resource is the
// storage plumbing every resource shares, and k8s.io/apimachinery's
// api/resource is the Quantity type.
package dra
