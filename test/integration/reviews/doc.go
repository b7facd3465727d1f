// Package reviews holds integration tests of the review APIs
// (authorization.k8s.io access and rules reviews, authentication.k8s.io
// token and self-subject reviews): client-go against a real in-process
// server, as the admin.
package reviews
