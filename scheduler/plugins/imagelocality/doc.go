// Package imagelocality is the ImageLocality score plugin, as in
// kube-scheduler: a node that already has the pod's images (containers,
// init containers and image volumes, by node.status.images) scores higher,
// by their sizes, each scaled by the share of nodes that have it (an image
// everywhere says little, and favouring its few holders would pile pods on
// them), clamped between 23 MiB and 1000 MiB per image.
//
// The plugin keeps an index of the nodes' images and of how many nodes
// hold each, brought up to date in PreScore from the nodes changed since
// the last pass, as kube-scheduler's cache keeps imageStates.
package imagelocality
