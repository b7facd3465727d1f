// Package apiserver assembles kubeshim's API server the way kube-apiserver
// assembles its own: kube-aggregator in front, the core server (the built-in
// groups of apis/ stored by registry/<group>/<resource>) behind it, and
// apiextensions-apiserver (CustomResourceDefinitions) at the end of the
// delegation chain.
//
// Options (flags) → Complete → Validate → Config → Complete().New() → Run(ctx),
// as in kubernetes/sample-apiserver.
package apiserver
