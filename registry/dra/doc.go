// Package dra holds the storage of the resource.k8s.io/v1 resources
// (dynamic resource allocation), one package per resource. It is not named
// registry/resource after the group: that is the plumbing every resource's
// storage shares.
package dra
