// Regenerates auth-golden.json from npm-registry-fetch's own lib/auth.js:
// node gen-auth-golden.js > auth-golden.json
// For each case the header is what npm-registry-fetch's getHeaders would send
// (Bearer <token> or Basic <auth>), or null. No spec is passed, so the
// same-host fallback uses the default registry.
const npmDir = process.env.NPM_DIR || '/usr/lib/node_modules/npm'
const getAuth = require(npmDir + '/node_modules/npm-registry-fetch/lib/auth.js')

const R = 'https://registry.npmjs.org/'
const cases = [
  { config: { '//reg.example/:_authToken': 'T' }, uri: 'https://reg.example/pkg' },
  { config: { '//reg.example:_authToken': 'T' }, uri: 'https://reg.example/pkg' },
  { config: { '//reg.example:8443/:_authToken': 'T' }, uri: 'https://reg.example:8443/x' },
  { config: { '//reg.example:8443/:_authToken': 'T' }, uri: 'https://reg.example/x' },
  { config: { '//reg.example/:_authToken': 'T' }, uri: 'https://reg.example:443/x' },
  { config: { '//reg.example:443/:_authToken': 'T' }, uri: 'https://reg.example:443/x' },
  { config: { '//reg.example/npm/:_authToken': 'T' }, uri: 'https://reg.example/npm/pkg/-/pkg-1.0.0.tgz' },
  { config: { '//reg.example/npm/:_authToken': 'T' }, uri: 'https://reg.example/other/pkg' },
  { config: { '//reg.example/npm/:_authToken': 'T' }, registry: 'https://reg.example/npm/', uri: 'https://reg.example/other/pkg' },
  { config: { '//reg.example/npm/:_authToken': 'T' }, registry: 'https://reg.example/npm/', uri: 'https://reg.example/npm/' },
  { config: {}, registry: 'https://reg.example/npm/', uri: 'https://reg.example/npm/' },
  { config: { '//reg.example/npm:_authToken': 'T' }, uri: 'https://reg.example/npm/pkg' },
  { config: { '//reg.example/npm:_authToken': 'T' }, uri: 'https://reg.example/npmx/pkg' },
  { config: { '//reg.example/:_authToken': 'A', '//reg.example/npm/:_authToken': 'B' }, uri: 'https://reg.example/npm/x' },
  { config: { '//reg.example/:_authToken': 'A', '//reg.example/npm/:_authToken': 'B' }, uri: 'https://reg.example/x' },
  { config: { '//reg.example/:_auth': 'dXNlcjpwYXNz' }, uri: 'https://reg.example/x' },
  { config: { '//reg.example/:_authToken': 'T', '//reg.example/:_auth': 'dXNlcjpwYXNz' }, uri: 'https://reg.example/x' },
  { config: { '//reg.example/:username': 'user', '//reg.example/:_password': 'cGFzcw==' }, uri: 'https://reg.example/x' },
  { config: { '//reg.example/:username': 'user', '//reg.example/:_password': 'cGFzcw' }, uri: 'https://reg.example/x' },
  { config: { '//reg.example/:username': 'user', '//reg.example/:_password': 'p*a-s_s!' }, uri: 'https://reg.example/x' },
  { config: { '//reg.example/:username': 'user' }, uri: 'https://reg.example/x' },
  { config: { '//reg.example/npm/:certfile': '/c', '//reg.example/npm/:keyfile': '/k', '//reg.example/:_authToken': 'T' }, uri: 'https://reg.example/npm/x' },
  { config: { '//reg.example/npm/:certfile': '/c', '//reg.example/:_authToken': 'T' }, uri: 'https://reg.example/npm/x' },
  { config: { '//a.example/:_authToken': 'T' }, uri: 'https://b.example/x' },
  { config: { '//reg.example/:_authToken': 'T' }, uri: 'https://evil.reg.example/x' },
  { config: { '//reg.example/:_authToken': 'T' }, uri: 'https://reg.example.evil/x' },
  { config: { '//REG.example/:_authToken': 'T' }, uri: 'https://reg.example/x' },
  { config: { '//reg.example/:_authToken': 'T' }, uri: 'https://REG.Example/x' },
  { config: { '//reg.example/npm/:_authToken': 'T' }, uri: 'https://reg.example/a/../npm/x' },
  { config: { '//reg.example/npm/:_authToken': 'T' }, uri: 'https://reg.example/npm/../x' },
  { config: { '//reg.example/npm/:_authToken': 'T' }, uri: 'https://reg.example/npm/x?q=1#f' },
  { config: { '//reg.example/:_authToken': '' }, uri: 'https://reg.example/x' },
  { config: { '//reg.example/:_authToken': '', '//reg.example/:_auth': 'QQ==' }, uri: 'https://reg.example/x' },
  { config: { '//registry.npmjs.org/:_authToken': 'T' }, uri: 'https://registry.npmjs.org/@s%2fp' },
  { config: { '//registry.npmjs.org/:_authToken': 'T' }, uri: 'https://registry.npmjs.org/@s/p/-/p-1.0.0.tgz' },
  { config: { '//registry.npmjs.org/:_authToken': 'T' }, registry: 'https://mirror.example/', uri: 'https://registry.npmjs.org/x' },
  { config: { '//[::1]:8443/:_authToken': 'T' }, uri: 'https://[::1]:8443/x' },
  { config: { '//reg.example/a/b/c/:_authToken': 'T' }, uri: 'https://reg.example/a/b/c' },
  { config: { '//reg.example/a/b/c:_authToken': 'T' }, uri: 'https://reg.example/a/b/c' },
]

const out = cases.map(c => {
  const opts = { ...c.config, registry: c.registry || R }
  const auth = getAuth(c.uri, opts)
  const header = auth.token ? `Bearer ${auth.token}` : auth.auth ? `Basic ${auth.auth}` : null
  return { ...c, registry: opts.registry, header }
})
process.stdout.write(JSON.stringify(out, null, 1) + '\n')
