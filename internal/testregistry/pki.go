package testregistry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CA is a certificate authority made at test time, for TLS attack tests:
// it issues leaves that are expired, not yet valid, for the wrong host, or
// signed by a CA the client was never told about.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// PEM is the CA certificate, as a cafile= would hold it.
	PEM []byte
}

// NewCA makes a CA valid from an hour ago for 30 days.
func NewCA(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"airlock tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// LeafOptions describes a server certificate. The zero value is valid now
// (from an hour ago for 30 days) for localhost, 127.0.0.1 and ::1.
type LeafOptions struct {
	DNSNames  []string
	IPs       []net.IP
	NotBefore time.Time
	NotAfter  time.Time
}

func (o LeafOptions) template() *x509.Certificate {
	if o.DNSNames == nil && o.IPs == nil {
		o.DNSNames, o.IPs = []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	}
	now := time.Now()
	if o.NotBefore.IsZero() {
		o.NotBefore = now.Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = now.Add(30 * 24 * time.Hour)
	}
	cn := "localhost"
	if len(o.DNSNames) > 0 {
		cn = o.DNSNames[0]
	}
	return &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     o.DNSNames,
		IPAddresses:  o.IPs,
	}
}

// Leaf issues a server certificate signed by ca.
func (ca *CA) Leaf(o LeafOptions) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, o.template(), ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("testregistry: issuing a leaf: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// SelfSigned makes a server certificate that is its own issuer (not a CA),
// as `openssl req -x509` or a quickly set-up registry would serve.
func SelfSigned(o LeafOptions) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := o.template()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	return n.Add(n, big.NewInt(1))
}

// ServerFiles are a server certificate, its key and the CA that signed it,
// as PEM files for servers configured by file (nginx, Verdaccio) and for a
// client's cafile.
type ServerFiles struct {
	CertFile, KeyFile, CAFile string
	// CAPEM is the content of CAFile.
	CAPEM []byte
}

// WriteServerFiles makes a CA named name, issues a leaf for o (localhost by
// default), and writes cert.pem, key.pem and ca.pem into dir (mode 0600).
func WriteServerFiles(dir, name string, o LeafOptions) (ServerFiles, error) {
	ca, err := NewCA(name)
	if err != nil {
		return ServerFiles{}, err
	}
	leaf, err := ca.Leaf(o)
	if err != nil {
		return ServerFiles{}, err
	}
	key, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		return ServerFiles{}, err
	}
	f := ServerFiles{CAPEM: ca.PEM}
	for _, w := range []struct {
		dst  *string
		name string
		data []byte
	}{
		{&f.CertFile, "cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]})},
		{&f.KeyFile, "key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})},
		{&f.CAFile, "ca.pem", ca.PEM},
	} {
		*w.dst = filepath.Join(dir, w.name)
		if err := os.WriteFile(*w.dst, w.data, 0o600); err != nil {
			return ServerFiles{}, err
		}
	}
	return f, nil
}
