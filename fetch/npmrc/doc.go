// Package npmrc reads npm's configuration (.npmrc files and npm_config_*
// variables) the way npm 11 does, and answers the questions a downloader asks:
// which registry, which tarball URL, which credential for which URL, which CA.
//
// Load is the only function that touches the file system. Everything else is
// pure and follows npm's own sources:
//
//   - Layers, highest priority first: npm_config_* environment variables,
//     the project's .npmrc, the user's (~/.npmrc or userconfig), the global
//     one (globalconfig, default $PREFIX/etc/npmrc), npm's builtin npmrc.
//     A key set in a higher layer hides it in all lower layers; arrays are
//     not merged (@npmcli/config lib/index.js).
//   - Files are ini as read by npm's `ini` package: ; and # comments,
//     "quoted" JSON values, key[]= arrays, keys after a [section] header
//     belong to that section and are not configuration. ${VAR} expands from
//     the environment in keys and values; an unset ${VAR} stays literally
//     "${VAR}" (npm does not fail), ${VAR?} becomes empty
//     (@npmcli/config lib/env-replace.js).
//   - Credentials are found by npm-registry-fetch's walk (lib/auth.js): from
//     //host[:port]/path/ up to //host, the first prefix with :_authToken,
//     :_auth, :username+:_password, or :certfile+:keyfile wins; a URL outside
//     every prefix may use the credential of a configured registry on the same
//     host; no other host ever gets one.
//   - Resolved tarball URLs on registry.npmjs.org are moved to the configured
//     registry according to replace-registry-host (arborist reify.js).
//
// Load refuses what airlock will not do, with a message that says the fix:
// strict-ssl=false, a plain http:// default registry, and the credential keys
// npm 9+ itself rejects when they are not scoped to a registry (_authToken,
// _auth, username, _password). Credentials never appear in errors or in any
// fmt verb applied to a Config or Value.
package npmrc
