package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestNewValidates(t *testing.T) {
	client := newFakeClient(t, &authRecorder{})
	valid := Config{NodeName: "n", CertDir: t.TempDir(), Client: client, Provider: &fakeProvider{}}
	tests := []struct {
		name   string
		modify func(*Config)
	}{
		{"no node name", func(c *Config) { c.NodeName = "" }},
		{"no provider", func(c *Config) { c.Provider = nil }},
		{"no client", func(c *Config) { c.Client = nil }},
		{"cert without key", func(c *Config) { c.CertFile = "/x.crt" }},
		{"no cert and no cert dir", func(c *Config) { c.CertDir = "" }},
		{"unreadable client CA", func(c *Config) { c.ClientCAFile = "/nonexistent/ca.crt" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid
			tc.modify(&cfg)
			if _, err := New(cfg); err == nil {
				t.Errorf("New accepted an invalid config")
			}
		})
	}
	s, err := New(valid)
	if err != nil {
		t.Fatalf("New(valid) = %v", err)
	}
	if s.cfg.BindAddress != "0.0.0.0" || s.cfg.Port != DefaultPort {
		t.Errorf("defaults: address %q port %d", s.cfg.BindAddress, s.cfg.Port)
	}
}

func TestSelfSignedCert(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	first, err := loadOrCreateSelfSigned(dir, "node-1", []string{"10.0.0.5", "node-1.example"}, now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(first.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("key is %T, want ECDSA", leaf.PublicKey)
	}
	var ips []string
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	if diff := cmp.Diff([]string{"10.0.0.5"}, ips); diff != "" {
		t.Errorf("IP SANs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"node-1", "node-1.example"}, leaf.DNSNames); diff != "" {
		t.Errorf("DNS SANs (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(filepath.Join(dir, "kubelet.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}

	again, err := loadOrCreateSelfSigned(dir, "node-1", []string{"node-1.example", "10.0.0.5"}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Certificate[0]) != string(first.Certificate[0]) {
		t.Errorf("restart made a new certificate; want the one on disk reused")
	}

	moved, err := loadOrCreateSelfSigned(dir, "node-1", []string{"10.0.0.6"}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if string(moved.Certificate[0]) == string(first.Certificate[0]) {
		t.Errorf("certificate reused for a new address")
	}

	expiring, err := loadOrCreateSelfSigned(dir, "node-1", []string{"10.0.0.6"}, now.Add(selfSignedValidity))
	if err != nil {
		t.Fatal(err)
	}
	if string(expiring.Certificate[0]) == string(moved.Certificate[0]) {
		t.Errorf("certificate reused past its expiry")
	}
}

// testCA is a client CA with one client certificate.
type testCA struct {
	caFile     string
	clientCert tls.Certificate
}

func newTestCA(t *testing.T, dir, clientName string) testCA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	caFile := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: clientName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{caFile: caFile, clientCert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestRun serves over real TLS with the self-signed certificate, authenticates a client
// certificate against the client CA, and stops when the context is cancelled, ending a
// log follow in progress.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "apiserver")
	logFile := filepath.Join(dir, "0.log")
	writeLog(t, logFile, time.Now(), [3]string{"stdout", "F", "hello"})
	p := &fakeProvider{
		pods:     []*corev1.Pod{testPod("ns", "pod", "uid", corev1.Container{Name: "c"})},
		logFiles: map[string]string{"ns/pod/c": logFile},
	}
	p.running.Store(true) // the follow below only ends with the server
	port := freePort(t)
	s, err := New(Config{
		BindAddress:   "127.0.0.1",
		Port:          port,
		CertDir:       filepath.Join(dir, "pki"),
		NodeAddresses: []string{"127.0.0.1"},
		ClientCAFile:  ca.caFile,
		Client:        newFakeClient(t, &authRecorder{}),
		NodeName:      testNode,
		Provider:      p,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	// Trust the certificate Run made, so the test also checks its SANs.
	var serverPEM []byte
	base := fmt.Sprintf("https://127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		serverPEM, err = os.ReadFile(filepath.Join(dir, "pki", "kubelet.crt"))
		if err == nil {
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				c.Close()
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(serverPEM)
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
	}

	resp, err := client(ca.clientCert).Get(base + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz with a client certificate: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok" {
		t.Errorf("GET /healthz with a client certificate = %d %q, want 200 ok", resp.StatusCode, body)
	}

	resp, err = client().Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /healthz without credentials = %d, want 401", resp.StatusCode)
	}

	// A certificate from another CA is not a credential.
	other := newTestCA(t, t.TempDir(), "apiserver")
	resp, err = client(other.clientCert).Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /healthz with a foreign certificate = %d, want 401", resp.StatusCode)
	}

	follow, err := client(ca.clientCert).Get(base + "/containerLogs/ns/pod/c?follow=true")
	if err != nil {
		t.Fatal(err)
	}
	defer follow.Body.Close()
	line := make([]byte, len("hello\n"))
	if _, err := io.ReadFull(follow.Body, line); err != nil || string(line) != "hello\n" {
		t.Fatalf("follow read %q, %v", line, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(2 * shutdownGrace):
		t.Fatal("Run did not return after cancel")
	}
	if rest, err := io.ReadAll(follow.Body); err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Logf("follow ended with %q, %v", rest, err)
	}
	if _, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
		t.Errorf("still listening after Run returned")
	}
}
