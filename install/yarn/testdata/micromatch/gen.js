// Generates install/yarn/testdata/micromatch/cases.json: nohoist-shaped
// globs and dependency paths with micromatch 2.3.11's any() verdict.
const mm = require('micromatch');
let seed = 42;
const rnd = n => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const pick = a => a[rnd(a.length)];
const globElems = ['**', '**', '*', '?', 'a', 'b', 'ab', '@s', 'a.b', 'a*', '*b', 'a?', '*a*', '?b', '.*', 'x', '*.b', 'a-b'];
const pathElems = ['a', 'b', 'ab', 'abc', '@s', 'x', '.x', 'a.b', 'ba', 'a-b', 'b.b'];
const cases = [];
const seen = new Set();
while (cases.length < 1500) {
  const prefix = pick(['/_project_', '/_project_', '/_project_/w', '/_project_/@s/w', '']);
  const g = [];
  for (let i = rnd(4) + 1; i > 0; i--) g.push(pick(globElems));
  const glob = prefix + '/' + g.join('/');
  let path;
  if (rnd(2) === 0) {
    const p = ['/_project_'];
    if (prefix.startsWith('/_project_/')) p.push(...prefix.slice('/_project_/'.length).split('/').filter(() => rnd(6) > 0));
    for (let i = rnd(5) + 1; i > 0; i--) p.push(pick(pathElems));
    path = p.join('/');
  } else {
    // An instance of the glob, so that many cases match (or nearly).
    const p = [];
    for (const e of (prefix + '/' + g.join('/')).split('/')) {
      if (e === '**') {
        for (let i = rnd(3); i > 0; i--) p.push(pick(pathElems));
      } else {
        p.push(e.replace(/\*/g, () => pick(['', 'a', '', 'b.', '.x'])).replace(/\?/g, () => pick(['a', '.', 'b'])));
      }
    }
    if (p[1] !== '_project_') p.splice(1, 0, '_project_');
    path = p.join('/');
  }
  // makePath joins non-empty names: no empty path elements.
  if (path.includes('//') || path.endsWith('/')) continue;
  const key = glob + ' ' + path;
  if (seen.has(key)) continue;
  seen.add(key);
  cases.push({glob, path, match: mm.any(path, [glob])});
}
process.stdout.write(JSON.stringify(cases, null, 0).replace(/},{/g, '},\n{') + '\n');
