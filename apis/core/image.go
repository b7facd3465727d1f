package core

import (
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The grammar of github.com/distribution/reference, which upstream's
// ParseImageName uses to find an image's tag. It is repeated here because the
// pull-policy default depends on exactly which names parse: upstream gives a
// name that fails to parse IfNotPresent, even with no tag.
const (
	refAlphanumeric = `[a-z0-9]+`
	refSeparator    = `(?:[._]|__|[-]+)`
	refDomainComp   = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	refDomainName   = refDomainComp + `(?:\.` + refDomainComp + `)*`
	refIPv6         = `\[(?:[a-fA-F0-9:]+)\]`
	refHost         = `(?:` + refDomainName + `|` + refIPv6 + `)`
	refDomainPort   = refHost + `(?::[0-9]+)?`
	refPathComp     = refAlphanumeric + `(?:` + refSeparator + refAlphanumeric + `)*`
	refRemoteName   = refPathComp + `(?:/` + refPathComp + `)*`
	refName         = `(?:` + refDomainPort + `/)?` + refRemoteName
	refTag          = `[\w][\w.-]{0,127}`
	refDigest       = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`

	// refPathMax is the longest repository path (the name after the domain).
	refPathMax = 255
)

var (
	referenceRE  = regexp.MustCompile(`^(` + refName + `)(?::(` + refTag + `))?(?:@(` + refDigest + `))?$`)
	nameRE       = regexp.MustCompile(`^(?:(` + refDomainPort + `)/)?(` + refRemoteName + `)$`)
	identifierRE = regexp.MustCompile(`^[a-f0-9]{64}$`)
	// digestHexLen are the digest algorithms upstream links in, with the
	// length of their lowercase hex encoding; other algorithms fail to parse.
	digestHexLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}
	lowerHexRE   = regexp.MustCompile(`^[a-f0-9]+$`)
)

// pullPolicyFor is the pull policy upstream gives a container or image volume
// that names none: Always for a :latest (or implied latest) tag, IfNotPresent
// otherwise, including for names that do not parse.
func pullPolicyFor(image string) corev1.PullPolicy {
	if tag, ok := imageTag(image); ok && tag == "latest" {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

// imageTag returns the tag of image as docker's ParseNormalizedNamed sees it,
// "latest" when the image names neither tag nor digest, and false when the
// name does not parse.
func imageTag(image string) (string, bool) {
	if identifierRE.MatchString(image) {
		return "", false
	}
	domain, remainder := splitDockerDomain(image)
	remote, _, _ := strings.Cut(remainder, ":")
	if strings.ToLower(remote) != remote {
		return "", false
	}
	m := referenceRE.FindStringSubmatch(domain + "/" + remainder)
	if m == nil || len(nameRE.FindStringSubmatch(m[1])[2]) > refPathMax {
		return "", false
	}
	tag, digest := m[2], m[3]
	if digest != "" && !validDigest(digest) {
		return "", false
	}
	if tag == "" && digest == "" {
		tag = "latest"
	}
	return tag, true
}

// splitDockerDomain is docker's rule for whether the first path component is
// a registry: it is one if it has a dot or port, is localhost, or has upper
// case; otherwise the name lives on docker.io.
func splitDockerDomain(name string) (domain, remainder string) {
	first, rest, found := strings.Cut(name, "/")
	if !found || (!strings.ContainsAny(first, ".:") && first != "localhost" && strings.ToLower(first) == first) {
		domain, remainder = "docker.io", name
	} else {
		domain, remainder = first, rest
	}
	if domain == "index.docker.io" {
		domain = "docker.io"
	}
	if domain == "docker.io" && !strings.Contains(remainder, "/") {
		remainder = "library/" + remainder
	}
	return domain, remainder
}

func validDigest(d string) bool {
	alg, hex, _ := strings.Cut(d, ":")
	n, ok := digestHexLen[alg]
	return ok && len(hex) == n && lowerHexRE.MatchString(hex)
}
