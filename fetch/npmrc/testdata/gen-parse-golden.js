// Regenerates parse-golden.json from npm's own modules: node gen-parse-golden.js
// Each case is parsed by npm's `ini` and expanded by @npmcli/config's
// env-replace, the same two steps @npmcli/config's loadObject/parseField
// apply to a file (values are trimmed before expansion).
const npmDir = process.env.NPM_DIR || '/usr/lib/node_modules/npm'
const ini = require(npmDir + '/node_modules/ini')
const envReplace = require(npmDir + '/node_modules/@npmcli/config/lib/env-replace.js')

const env = { SET: 'value', EMPTY: '', HOST: 'reg.example.com', TOKEN: 'tok-123' }
const cases = [
  'a=b', ' a = b ', '; comment\n# comment\na=b', 'a=b ; trailing', 'a=b#c', 'a=b\\;c', 'a=b\\#c',
  'a=b\\\\#c', 'a=b\\xc', 'a=b\\', 'a="x;y"', "a='x;y'", 'a="line\\nbreak"', 'a="unterminated',
  'a=\'"q"\'', 'a="true"', 'a=true', 'a=false', 'a=null', 'flag', 'a=', '=value', 'a==b', 'a = b = c',
  'ca[]=one\nca[]=two', 'a=1\na[]=2', 'a[]=1\na=2', 'a=1\na=2', 'a=1\n[sec]\nb=2', '[]=x',
  '__proto__=x\nb=1', '\ufeffregistry=https://r.example/', 'a=1\r\nb=2\r\n', 'a=1\n\n\n\rb=2',
  'a=${SET}', 'a=${UNSET}', 'a=${UNSET?}', 'a=${EMPTY}', 'a=${SET?}x', 'a=\\${SET}', 'a=\\\\${SET}',
  'a="\\\\${SET}"', 'a="\\\\\\\\${SET}"', 'a="\\\\\\\\\\\\${SET}"', 'a=${SET}${SET}', 'a=${}', 'a=${A$B}',
  'a=$SET', 'a=${SET', 'a=pre${SET}post', 'a=${SET??}', '//${HOST}/:_authToken=${TOKEN}',
  '//${UNSET}/:_authToken=x', 'a=\u2028b', 'a\u2028=b', 'a=x\u00a0', '[sec', 'x\n[a.b]\nc=1',
  'a="\\u0041"', "a='multi word'", 'a = "  padded  "', "a=''", 'a=""', 'a="', "a='",
  'registry = https://registry.example.com/ # mirror', 'a[]', 'a[]=', "key with spaces = v",
  '"quoted key"=v', ' =x', '\ufeff=0', 'a;b=c', 'a#b=c', '  ;a=b', '\t#a=b', 'a=b\tc', 'emoji=\u{1F600}',
]

const out = cases.map(input => {
  const parsed = ini.parse(input)
  const values = {}
  for (const [k, v] of Object.entries(parsed)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) continue // a [section]
    const key = envReplace(k, env)
    const conv = x => typeof x === 'string' ? envReplace(x.trim(), env) : String(x)
    values[key] = Array.isArray(v) ? { list: v.map(conv) } : { value: conv(v) }
  }
  return { input, values }
})
process.stdout.write(JSON.stringify({ env, cases: out }, null, 1) + '\n')
