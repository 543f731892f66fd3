// Regenerates vectors.jsonl: node-semver's own answers for every range and
// version taken from its test fixtures, crossed with each other, under the
// four option combinations npm uses.
//
// usage: node gen-vectors.js <node-semver checkout> <semver module dir> > vectors.jsonl
'use strict'
const path = require('path')
const [fixtures, semverDir] = process.argv.slice(2)
const semver = require(semverDir)
const fx = n => require(path.join(fixtures, 'test/fixtures', n))

const ranges = new Set()
const versions = new Set()
for (const [r, v] of [...fx('range-include.js'), ...fx('range-exclude.js')]) {
  if (typeof r === 'string') ranges.add(r)
  if (typeof v === 'string') versions.add(v)
}
for (const [r] of fx('range-parse.js')) if (typeof r === 'string') ranges.add(r)
for (const [a, b] of fx('comparisons.js')) { versions.add(a); versions.add(b) }
for (const [v] of fx('valid-versions.js')) if (typeof v === 'string') versions.add(v)
for (const [v] of fx('invalid-versions.js')) if (typeof v === 'string') versions.add(v)
// Ranges as they appear in real lockfiles' engines and dependency specs.
for (const r of ['>= 8', '>=0.10.0', '^8.16.0 || ^10.6.0 || >=11.0.0', '>= 8.10.0', '^12.20.0 || ^14.13.1 || >=16.0.0',
  '^14.17.0 || ^16.13.0 || >=18.0.0', '>=18.0.0', '>=20.19 || ^22.12 || >=23', '14 || 16 || >=18', '>=4', '*', '',
  'latest', '~3.1.2', '^0.0.3', '^0.1.0', '>=1.0.0-rc.1 <2', '1.x || >=2.5.0 || 5.0.0 - 7.2.3', '=1.2.3', 'v1.2.3',
  '>=0.0.0', '>=0.0.0-0', '<0.0.0-0', '^1.2.3-beta.1', '~1.2.3-beta.1', '1.2.3-beta.1 - 1.2.4-beta.2', '>1.x', '<=1.2.x',
  '>=1.x', '<1.x', '1.2.3 - 2', '1 - 2.3', '^ 1.2', '~ 1.2', '> 1.2.3', '>= 1.2.3 < 2', '1.2.3 || 2.x || ^3.1.0-0']) {
  ranges.add(r)
}
const custom = ['20.20.2', 'v20.20.2', '22.12.0', '18.0.0-pre', '11.19.1', '1.2.3-beta.1', '1.2.3-beta.2', '1.2.4-alpha',
  '1.0.0beta1', '0.0.3', '0.0.4-0', '2.0.0-0', '1.2.3+build.5', '=1.2.3', ' 1.2.3 ', '01.2.3', '1.2.3-01', '9007199254740991.0.0']
for (const v of custom) versions.add(v)

// One line per (range, version): the answers under {}, {loose},
// {includePrerelease} and {loose, includePrerelease} as four T/F letters, one JSON array per line.
// Every range meets a core set of versions, plus the versions its fixture
// pairs it with.
const core = new Set(['0.0.0', '0.0.1', '0.1.0', '0.2.9', '1.0.0', '1.2.3', '1.2.4', '1.3.0', '1.9999.9999', '2.0.0',
  '2.4.3-alpha', '3.0.0', '1.2.3-pre.2', ...custom])
const pairs = new Map([...ranges].map(r => [r, new Set(core)]))
for (const [r, v] of [...fx('range-include.js'), ...fx('range-exclude.js')]) {
  if (typeof r === 'string' && typeof v === 'string') pairs.get(r).add(v)
}
const opts = [{}, { loose: true }, { includePrerelease: true }, { loose: true, includePrerelease: true }]
const lines = []
for (const [r, vs] of pairs) {
  for (const v of vs) {
    const res = opts.map(o => semver.satisfies(v, r, o) ? 'T' : 'F').join('')
    lines.push(JSON.stringify(['S', r, v, res]))
  }
}
for (const v of versions) {
  for (const loose of [false, true]) {
    const p = semver.parse(v, { loose })
    lines.push(JSON.stringify(['P', v, loose ? 'loose' : 'strict', p ? p.version : '-']))
  }
}
for (const r of ranges) {
  for (const loose of [false, true]) {
    lines.push(JSON.stringify(['R', r, loose ? 'loose' : 'strict', semver.validRange(r, { loose }) !== null ? 'T' : 'F']))
  }
}
process.stdout.write(lines.join('\n') + '\n')
