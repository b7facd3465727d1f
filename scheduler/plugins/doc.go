// Package plugins registers kubeshim's scheduler plugins, one package per
// plugin below this one, and names the default profile's plugins in
// kube-scheduler's order and with its score weights.
package plugins
