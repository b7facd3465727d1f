// Package controllers runs kubeshim's controllers: one package per
// controller below this one, named after what it reconciles. Each is a
// client of the API like any other, on shared informers and rate-limited
// work queues with a level-triggered sync(ctx, key).
//
// Run starts them all; RunLeaderElected runs them only while holding the
// Lease kube-system/kube-controller-manager. `kubeshim server` runs them in
// its own process unless --disable=controllers; `kubeshim controllers` runs
// them alone, against any API server.
package controllers
