// Package serviceaccount is the ServiceAccount admission plugin: a pod that
// names no service account gets "default", and a pod whose service account
// does not exist is refused, as upstream's plugin does. Mounting the
// account's token into the pod belongs to the authentication work (issue 7).
package serviceaccount
