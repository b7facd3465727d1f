// Package images puts images into containerd on hosts that reach no
// registry: it imports image archives (such as those package oci writes)
// into a containerd namespace and unpacks them into the default snapshotter,
// and it makes the sandbox's pause image from the kubeshim-pause binary
// when the namespace lacks it.
//
// Image names are the normalized docker references containerd stores and
// the CRI reports: "busybox" is docker.io/library/busybox:latest.
package images
