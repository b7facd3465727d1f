// Package resource is the storage plumbing every built-in resource shares.
//
// A resource package (registry/<group>/<resource>) declares only what is
// particular to its kind in a Definition: its names, its validation, its
// selectable fields, hooks for the rare kind whose create or update does more
// than the common rules. New turns a Definition into a genericregistry.Store
// with a strategy that applies the rules every upstream strategy repeats:
//
//   - create resets status (for kinds with a status subresource) and sets
//     metadata.generation to 1 (for kinds with a spec);
//   - update keeps the stored status, and bumps generation only when the spec
//     changed (`kubectl rollout status` compares it with
//     status.observedGeneration);
//   - the status subresource changes status only;
//   - server-side apply does not record the fields a request cannot change.
package resource
