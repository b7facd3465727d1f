// Package runtimeclass is the RuntimeClass admission plugin, as upstream's:
// a pod naming a RuntimeClass that does not exist is refused; one naming an
// existing class gets the class's pod overhead and its scheduling
// constraints (node selector, tolerations).
package runtimeclass
