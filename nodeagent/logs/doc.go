// Package logs writes and reads container log files in the CRI logging format, the format
// containerd's CRI plugin writes and the kubelet reads:
//
//	<RFC3339Nano timestamp> <stdout|stderr> <F|P> <content>\n
//
// A line of the container's output becomes one F (full) entry; a line longer than
// MaxLineSize is cut into P (partial) entries followed by a last F entry, and output that
// ends without a newline when the stream closes becomes a P entry, as containerd does.
//
// The runtime puts a Writer between each of a container's stdout and stderr FIFOs and the
// log file (Open and File.Stream give two writers sharing one file); the kubelet API
// reads the file back with Read, which implements the kubelet's tail, since, limitBytes,
// timestamps and follow semantics.
package logs
