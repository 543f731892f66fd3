package testregistry

import (
	"crypto/tls"
	"crypto/x509"
)

// certs is a fresh CA per registry and a leaf it signed for the loopback
// names. A per-registry CA (rather than httptest's shared self-signed
// certificate) means a client only trusts this server if it was handed this
// registry's CA file, exactly like a user's cafile= setup.
type certs struct {
	ca    *CA
	caPEM []byte
	leaf  tls.Certificate
	pool  *x509.CertPool
}

func newCerts() (*certs, error) {
	ca, err := NewCA("airlock testregistry CA")
	if err != nil {
		return nil, err
	}
	leaf, err := ca.Leaf(LeafOptions{})
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &certs{ca: ca, caPEM: ca.PEM, leaf: leaf, pool: pool}, nil
}
