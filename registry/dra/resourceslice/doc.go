// Package resourceslice stores resource.k8s.io/v1 ResourceSlices
// (resourceslices): the devices a driver publishes, pool by pool,
// selectable by node, driver and pool.
package resourceslice
