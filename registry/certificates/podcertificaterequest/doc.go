// Package podcertificaterequest stores certificates.k8s.io/v1
// PodCertificateRequests (podcertificaterequests): a node agent asks a
// signer for a pod's certificate (the pod's podCertificate projected volume
// source, nodeagent/volumes), and the signer answers through /status, which
// only a user allowed to "sign" for the signer may write.
package podcertificaterequest
