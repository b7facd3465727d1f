// Package ingressclass stores networking/v1 IngressClasss (ingressclasses).
package ingressclass
