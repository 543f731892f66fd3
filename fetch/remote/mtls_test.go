package remote

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/internal/testcas"
)

// clientCert makes a CA and a client certificate it signed.
func clientCert(t *testing.T) (*x509.CertPool, tls.Certificate) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "clients"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "ci-runner"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: leafKey}
}

func TestClientCertificate(t *testing.T) {
	pool, cert := clientCert(t)
	srv := testcas.StartTLS(func(c *tls.Config) {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		c.ClientCAs = pool
	})
	defer srv.Close()
	data := []byte("archive")
	want := sha256Of(data)
	srv.Set("cas/"+want.Hex(), data)
	newC := func(cert *tls.Certificate) *Client {
		c, err := New(Options{URL: srv.URL, ClientCert: cert, Timeout: 2 * time.Second,
			ExtraCAs: []client.CABundle{{Source: "test", PEM: srv.CAPEM()}},
			Proxy:    func(*http.Request) (*url.URL, error) { return nil, nil }})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	body, _, err := newC(&cert).Get(context.Background(), want)
	if err != nil || body == nil {
		t.Fatalf("with the client certificate: %v, %v", body, err)
	}
	body.Close()
	_, _, err = newC(nil).Get(context.Background(), want)
	if err == nil || !strings.Contains(err.Error(), "not using the remote cache") {
		t.Errorf("without it: %v", err)
	}
}
