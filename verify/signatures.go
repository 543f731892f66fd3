package verify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// KeyTypeP256 is the only key type npm registries publish and the only one
// accepted: ECDSA over P-256 with SHA-256.
const KeyTypeP256 = "ecdsa-sha2-nistp256"

// RegistryKey is one public key from a registry's /-/npm/v1/keys document
// or from a pin in configuration.
type RegistryKey struct {
	// KeyID is the registry's name for the key ("SHA256:..."); signatures
	// name the key that made them by it. It is opaque: npm derives it from
	// the key, but nothing here relies on how.
	KeyID string
	// Key is the DER-encoded SubjectPublicKeyInfo, as the document's
	// base64 "key" field holds it.
	Key []byte
	// Expires is when the key stopped signing; the zero Time means never.
	// Versions published before it still verify with it.
	Expires time.Time

	pub *ecdsa.PublicKey
}

// keysDoc is the wire format of GET {registry}/-/npm/v1/keys.
type keysDoc struct {
	Keys []keyJSON `json:"keys"`
}

type keyJSON struct {
	Expires *string `json:"expires"`
	KeyID   string  `json:"keyid"`
	KeyType string  `json:"keytype"`
	Scheme  string  `json:"scheme"`
	Key     string  `json:"key"`
}

// ParseKeys parses a registry's /-/npm/v1/keys response. Every key must be
// usable: a key airlock cannot check is an error, not a key silently left
// out, because leaving it out would later look like "unknown key". An empty
// list is valid (the registry signs nothing).
func ParseKeys(data []byte) ([]RegistryKey, error) {
	var doc keysDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("registry keys: not the /-/npm/v1/keys format: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`registry keys: no "keys" array`)
	}
	out := make([]RegistryKey, 0, len(doc.Keys))
	seen := map[string]bool{}
	for _, k := range doc.Keys {
		if k.KeyType != KeyTypeP256 || (k.Scheme != "" && k.Scheme != KeyTypeP256) {
			return nil, fmt.Errorf("registry keys: key %q has type %q, scheme %q; airlock verifies only %s", k.KeyID, k.KeyType, k.Scheme, KeyTypeP256)
		}
		var expires string
		if k.Expires != nil {
			expires = *k.Expires
		}
		key, err := NewRegistryKey(k.KeyID, k.Key, expires)
		if err != nil {
			return nil, fmt.Errorf("registry keys: %w", err)
		}
		if seen[key.KeyID] {
			return nil, fmt.Errorf("registry keys: key %q listed twice", key.KeyID)
		}
		seen[key.KeyID] = true
		out = append(out, key)
	}
	return out, nil
}

// NewRegistryKey builds a key from the document's (or a pin's) fields:
// base64 SPKI DER and an RFC 3339 expiry ("" for none).
func NewRegistryKey(keyID, keyB64, expires string) (RegistryKey, error) {
	if keyID == "" {
		return RegistryKey{}, errors.New("a key without a keyid")
	}
	der, err := base64.StdEncoding.DecodeString(keyB64)
	if err != nil {
		return RegistryKey{}, fmt.Errorf("key %q: not base64: %v", keyID, err)
	}
	pk, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return RegistryKey{}, fmt.Errorf("key %q: not a public key: %v", keyID, err)
	}
	ec, ok := pk.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return RegistryKey{}, fmt.Errorf("key %q: not an ECDSA P-256 key", keyID)
	}
	k := RegistryKey{KeyID: keyID, Key: der, pub: ec}
	if expires != "" {
		t, err := time.Parse(time.RFC3339, expires)
		if err != nil {
			return RegistryKey{}, fmt.Errorf("key %q: expires %q is not an RFC 3339 time", keyID, expires)
		}
		k.Expires = t
	}
	return k, nil
}

// Equal reports whether two keys are the same key with the same expiry.
func (k RegistryKey) Equal(o RegistryKey) bool {
	return k.KeyID == o.KeyID && string(k.Key) == string(o.Key) && k.Expires.Equal(o.Expires)
}

// ExpiresString is Expires in the keys document's form, "" for never.
func (k RegistryKey) ExpiresString() string {
	if k.Expires.IsZero() {
		return ""
	}
	return k.Expires.UTC().Format(time.RFC3339Nano)
}

// Signature is one entry of a packument's versions[v].dist.signatures.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// ErrSignature is matched (errors.Is) by every SignatureError.
var ErrSignature = errors.New("registry signature check failed")

// SignatureProblem names why a signature check failed, for callers that
// explain or count failures.
type SignatureProblem string

const (
	SigMissing    SignatureProblem = "missing"     // no signatures, but the registry signs
	SigUnknownKey SignatureProblem = "unknown-key" // keyid not among the trusted keys
	SigExpiredKey SignatureProblem = "expired-key" // published after the key expired
	SigNoTime     SignatureProblem = "no-publish-time"
	SigMalformed  SignatureProblem = "malformed" // not base64 / not DER
	SigInvalid    SignatureProblem = "invalid"   // does not verify
)

// SignatureError reports a package whose registry signature does not hold.
type SignatureError struct {
	Package   string // name@version
	KeyID     string
	Problem   SignatureProblem
	Integrity string
	Detail    string
}

func (e *SignatureError) Error() string {
	msg := fmt.Sprintf("%s: registry signature %s", e.Package, e.Problem)
	if e.KeyID != "" {
		msg += " (keyid " + e.KeyID + ")"
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *SignatureError) Is(target error) bool { return target == ErrSignature }

// SignedMessage is what npm registries sign for a version:
// "{name}@{version}:{integrity}", integrity exactly as the packument's
// dist.integrity spells it.
func SignedMessage(name, version, integrity string) []byte {
	return []byte(name + "@" + version + ":" + integrity)
}

// VerifyRegistrySignatures checks a version's dist.signatures the way
// pacote does for `npm audit signatures`, stricter where noted:
//
//   - There must be at least one signature (SigMissing otherwise).
//   - Every signature must name a trusted key (SigUnknownKey): an
//     unverifiable signature is not ignored, because the registry that
//     signs with keys it does not publish is not the registry we trust.
//   - A key with an expiry verifies only versions published strictly before
//     it (SigExpiredKey). pacote treats an unknown publish time as the
//     epoch, which lets any expired key sign anything; airlock refuses
//     (SigNoTime) instead.
//   - Every signature must verify: ECDSA P-256, SHA-256, ASN.1 DER in
//     standard base64, over SignedMessage.
//
// It returns the keys that verified, for the explanation.
func VerifyRegistrySignatures(keys []RegistryKey, name, version, integrity string, sigs []Signature, published time.Time) ([]RegistryKey, error) {
	id := name + "@" + version
	fail := func(p SignatureProblem, keyID, detail string) ([]RegistryKey, error) {
		return nil, &SignatureError{Package: id, KeyID: keyID, Problem: p, Integrity: integrity, Detail: detail}
	}
	if len(sigs) == 0 {
		return fail(SigMissing, "", "the registry publishes signing keys but this version carries no dist.signatures")
	}
	byID := make(map[string]RegistryKey, len(keys))
	for _, k := range keys {
		byID[k.KeyID] = k
	}
	msg := SignedMessage(name, version, integrity)
	digest := sha256.Sum256(msg)
	var used []RegistryKey
	for _, s := range sigs {
		k, ok := byID[s.KeyID]
		if !ok {
			return fail(SigUnknownKey, s.KeyID, "no trusted key has this keyid")
		}
		if !k.Expires.IsZero() {
			if published.IsZero() {
				return fail(SigNoTime, s.KeyID, fmt.Sprintf("the key expired %s and the registry gives no publish time for this version", k.ExpiresString()))
			}
			if !published.Before(k.Expires) {
				return fail(SigExpiredKey, s.KeyID, fmt.Sprintf("published %s, but the key expired %s", published.UTC().Format(time.RFC3339), k.ExpiresString()))
			}
		}
		der, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			return fail(SigMalformed, s.KeyID, "sig is not base64")
		}
		pub := k.pub
		if pub == nil { // a RegistryKey built by hand
			kk, err := NewRegistryKey(k.KeyID, base64.StdEncoding.EncodeToString(k.Key), k.ExpiresString())
			if err != nil {
				return fail(SigUnknownKey, s.KeyID, err.Error())
			}
			pub = kk.pub
		}
		if !ecdsa.VerifyASN1(pub, digest[:], der) {
			return fail(SigInvalid, s.KeyID, fmt.Sprintf("does not verify over %q", msg))
		}
		used = append(used, k)
	}
	return used, nil
}
