package testregistry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Signer makes a registry sign like registry.npmjs.org: it serves its public
// keys at /-/npm/v1/keys and adds dist.signatures (ECDSA P-256, SHA-256,
// base64 ASN.1 DER over "{name}@{version}:{integrity}") to every version of
// every packument. The keys are generated per Signer, never shipped.
//
// Tests break it on purpose per version (Tamper), move a version's publish
// time (SetTime), or make the packument disagree with the tarball
// (SetIntegrity). A disabled Signer serves no keys and adds nothing, so a
// registry can start out like one that does not sign.
type Signer struct {
	mu        sync.Mutex
	enabled   bool
	keys      []*signingKey // published, in order
	stranger  *signingKey   // signs "unknown-key" tampering; never published
	tamper    map[string]string
	times     map[string]time.Time
	integrity map[string]string
	// sigs memoizes signatures: ECDSA signing is randomized, and a
	// packument that changed on every request would defeat ETags.
	sigs map[string]string
}

type signingKey struct {
	id      string
	priv    *ecdsa.PrivateKey
	der     []byte
	expires time.Time
}

func newSigningKey(expires time.Time) (*signingKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return &signingKey{id: "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), priv: priv, der: der, expires: expires}, nil
}

// NewSigner returns an enabled Signer with one key that never expires.
func NewSigner() (*Signer, error) {
	s := &Signer{enabled: true, tamper: map[string]string{}, times: map[string]time.Time{}, integrity: map[string]string{}, sigs: map[string]string{}}
	k, err := newSigningKey(time.Time{})
	if err != nil {
		return nil, err
	}
	if s.stranger, err = newSigningKey(time.Time{}); err != nil {
		return nil, err
	}
	s.keys = []*signingKey{k}
	return s, nil
}

// WithSigner attaches s to the registry: the keys route and the signing
// packument hook.
func WithSigner(s *Signer) Option {
	return func(c *config) {
		c.middlewares = append(c.middlewares, s.middleware)
		c.hooks = append(c.hooks, s.hook)
	}
}

// SetEnabled turns signing (and the keys route) on or off.
func (s *Signer) SetEnabled(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enabled = on
}

// Rotate publishes a new current key and gives the old current one the
// expiry expires (npm's 2025 rotation). Versions are then signed by the new
// key, except those whose publish time is before expires, which keep the
// old key's signature as on the real registry.
func (s *Signer) Rotate(expires time.Time) error {
	k, err := newSigningKey(time.Time{})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[len(s.keys)-1].expires = expires
	s.keys = append(s.keys, k)
	return nil
}

// Tamper breaks one version's signature: "bad" signs another message,
// "unknown-key" signs with a key the registry does not publish,
// "expired-key" signs with the oldest key even if it had expired when the
// version was published (a retired key in the wrong hands), "unsigned"
// leaves dist.signatures out, "off" undoes it.
func (s *Signer) Tamper(nameAtVersion, how string) error {
	switch how {
	case "bad", "unknown-key", "expired-key", "unsigned", "off":
	default:
		return fmt.Errorf("testregistry: unknown signature tampering %q", how)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if how == "off" {
		delete(s.tamper, nameAtVersion)
	} else {
		s.tamper[nameAtVersion] = how
	}
	return nil
}

// SetTime sets time[version] in the packument.
func (s *Signer) SetTime(nameAtVersion string, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.times[nameAtVersion] = t
}

// SetIntegrity makes the packument claim integrity for a version (and sign
// that claim), as a registry that republished other bytes would.
func (s *Signer) SetIntegrity(nameAtVersion, integrity string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.integrity[nameAtVersion] = integrity
}

// KeysJSON is the /-/npm/v1/keys document.
func (s *Signer) KeysJSON() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, _ := marshal(s.keysDoc())
	return b
}

func (s *Signer) keysDoc() map[string]any {
	keys := []any{}
	for _, k := range s.keys {
		var exp any
		if !k.expires.IsZero() {
			exp = k.expires.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		keys = append(keys, map[string]any{
			"expires": exp, "keyid": k.id, "keytype": "ecdsa-sha2-nistp256",
			"scheme": "ecdsa-sha2-nistp256", "key": base64.StdEncoding.EncodeToString(k.der),
		})
	}
	return map[string]any{"keys": keys}
}

func (s *Signer) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/-/npm/v1/keys" {
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		enabled, doc := s.enabled, s.keysDoc()
		s.mu.Unlock()
		if !enabled {
			next.ServeHTTP(w, r)
			return
		}
		serveJSON(w, r, "application/json", doc)
	})
}

// hook edits a full packument before it is served.
func (s *Signer) hook(name string, doc map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	versions, _ := doc["versions"].(map[string]any)
	times, _ := doc["time"].(map[string]any)
	for v, x := range versions {
		id := name + "@" + v
		if t, ok := s.times[id]; ok && times != nil {
			times[v] = t.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		vd, _ := x.(map[string]any)
		dist, _ := vd["dist"].(map[string]any)
		if dist == nil {
			continue
		}
		if in, ok := s.integrity[id]; ok {
			dist["integrity"] = in
		}
		if !s.enabled || s.tamper[id] == "unsigned" {
			continue
		}
		integrity, _ := dist["integrity"].(string)
		published := DefaultTime
		if times != nil {
			if ts, ok := times[v].(string); ok {
				if t, err := time.Parse(time.RFC3339, ts); err == nil {
					published = t
				}
			}
		}
		key := s.keyFor(published)
		msg := name + "@" + v + ":" + integrity
		switch s.tamper[id] {
		case "bad":
			msg += "tampered"
		case "unknown-key":
			key = s.stranger
		case "expired-key":
			key = s.keys[0]
		}
		memo := key.id + "\x00" + msg
		sig, ok := s.sigs[memo]
		if !ok {
			h := sha256.Sum256([]byte(msg))
			der, err := ecdsa.SignASN1(rand.Reader, key.priv, h[:])
			if err != nil {
				continue
			}
			sig = base64.StdEncoding.EncodeToString(der)
			s.sigs[memo] = sig
		}
		dist["signatures"] = []any{map[string]any{"keyid": key.id, "sig": sig}}
	}
}

// keyFor picks the key the registry signed with at published: the first
// key that had not yet expired then.
func (s *Signer) keyFor(published time.Time) *signingKey {
	for _, k := range s.keys {
		if k.expires.IsZero() || published.Before(k.expires) {
			return k
		}
	}
	return s.keys[len(s.keys)-1]
}
