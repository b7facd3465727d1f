// Package ingress stores networking/v1 Ingresss (ingresses).
package ingress
