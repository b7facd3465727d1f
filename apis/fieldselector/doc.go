// Package fieldselector declares which fields of a kind a field selector may
// name (?fieldSelector=spec.nodeName=n1) and reads them off objects.
//
// One Func per kind is the single source of truth: the scheme's field-label
// conversion accepts exactly the keys the Func returns for a zero object, and
// the registry's GetAttrs matches on the values it returns for a real one, so
// the two cannot drift apart.
package fieldselector
