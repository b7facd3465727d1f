// Package queue is the work queue every controller runs on: keys go in from
// informer event handlers, workers take them out and call the controller's
// level-triggered sync, failures come back rate-limited, and a sync can ask
// to look again later.
package queue
