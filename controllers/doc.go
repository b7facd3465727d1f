// Package controllers runs kubeshim's controllers: one package per
// controller below this one, named after what it reconciles. Each is a
// client of the API like any other, on shared informers and rate-limited
// work queues with a level-triggered sync(ctx, key).
//
// Run starts those that are built; `kubeshim server` runs them in its own
// process unless --disable=controllers.
package controllers
