package verify

import "sync"

// NpmjsRegistry is the public npm registry, whose keys are built in.
const NpmjsRegistry = "https://registry.npmjs.org/"

// npmjsKeys is registry.npmjs.org's /-/npm/v1/keys response, verbatim, as
// published since the 2025-01-29 key rotation (the old key expired then;
// versions published before still verify with it). Built in so that the
// default registry needs no trust on first use; verify/testdata/README.md
// says where it was taken from and TestNpmjsRealSignatures proves it against
// real signatures.
const npmjsKeys = `{"keys":[{"expires":"2025-01-29T00:00:00.000Z","keyid":"SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i6UPp+IhuteBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg=="},{"expires":null,"keyid":"SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEY6Ya7W++7aUPzvMTrezH6Ycx3c+HOKYCcNGybJZSCJq/fd7Qa8uuAKtdIkUQtQiEKERhAmE5lMMJhP8OkDOa2g=="}]}`

var npmjsOnce = sync.OnceValue(func() []RegistryKey {
	keys, err := ParseKeys([]byte(npmjsKeys))
	if err != nil {
		panic("verify: built-in npmjs keys: " + err.Error()) // a build defect, caught by tests
	}
	return keys
})

// BuiltinKeys returns the signing keys airlock ships for registry (a URL
// with a trailing slash), or nil when it ships none.
func BuiltinKeys(registry string) []RegistryKey {
	if registry == NpmjsRegistry {
		return append([]RegistryKey(nil), npmjsOnce()...)
	}
	return nil
}
