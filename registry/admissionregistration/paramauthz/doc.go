// Package paramauthz is the check upstream's admission policy registries
// make beyond validation: whoever writes a ValidatingAdmissionPolicy or
// MutatingAdmissionPolicy with a paramKind must be able to get every object
// of that kind, and whoever writes a binding with a paramRef must be able to
// get (or, for a selector, list) the objects it references. Otherwise a
// policy would read, on the writer's behalf, parameters the writer could not
// read. A refusal is a 422 with a Forbidden cause at spec.paramKind or
// spec.paramRef and upstream's message; system:masters is not checked.
package paramauthz
