// Package limitranger is the LimitRanger admission plugin, as upstream's: a
// pod created in a namespace with LimitRanges gets the containers' default
// requests and limits it lacks, and is refused when a container or the pod
// breaks a minimum, maximum or limit-to-request ratio; a claim is refused
// when its storage request is out of range.
package limitranger
