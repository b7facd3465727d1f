// Package volumes prepares a pod's volumes on the node, the part of the kubelet's
// volume manager and in-tree plugins that a containerd node agent needs:
// emptyDir (disk or tmpfs), configMap, secret, downwardAPI and projected
// volumes (service account tokens included), hostPath, and persistent volume
// claims bound to hostPath or local persistent volumes.
//
// The layout on disk is the kubelet's, so anyone who knows one knows the other:
//
//	<RootDir>/<podUID>/volumes/kubernetes.io~<plugin>/<volumeName>
//
// configMap, secret, downwardAPI and projected volumes are written like the
// kubelet's AtomicWriter does: the files live in a timestamped directory
// (..2026_01_02_15_04_05.123456789), ..data is a symlink to it, and each
// user-visible name is a symlink through ..data. An update writes a new
// timestamped directory and renames a new ..data link over the old one, so a
// running container sees either the old files or the new ones, never a mix.
// Secret, downwardAPI and projected volumes sit on tmpfs, as upstream, so
// their contents never reach the node's disk.
//
// Setup is idempotent and meant to be called on every pod sync: it refreshes
// the projected contents and service account tokens. Teardown unmounts and
// removes everything of a pod.
package volumes
