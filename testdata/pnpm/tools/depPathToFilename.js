const crypto = require('crypto');
const fs = require('fs');
// Pull depPathToFilename and its helpers out of each pnpm bundle, text as is.
function load(bundle, major) {
  const src = fs.readFileSync(bundle, 'utf8');
  const start = src.indexOf('    function depPathToFilename(depPath, maxLengthWithoutHash)');
  const e1 = src.indexOf('\n    }\n', start) + 7;
  const u = src.indexOf('    function depPathToFilenameUnescaped(', start);
  const e2 = src.indexOf('\n    }\n', u) + 7;
  const body = src.slice(start, e1) + src.slice(u, e2);
  const crypto_hash_1 = { createShortHash: (s) => crypto.hash('sha256', s, 'hex').substring(0, 32) };
  const b32 = (buf) => { const a='ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'; let bits=0,v=0,o=''; for (const x of buf){v=(v<<8)|x;bits+=8;while(bits>=5){o+=a[(v>>>(bits-5))&31];bits-=5;}} if(bits>0)o+=a[(v<<(5-bits))&31]; return o; };
  const crypto_base32_hash_1 = { createBase32Hash: (s) => b32(crypto.hash('md5', s, 'buffer')).toLowerCase() };
  return new Function('crypto_hash_1', 'crypto_base32_hash_1', body + '; return depPathToFilename;')(crypto_hash_1, crypto_base32_hash_1);
}
const f10 = load('/tmp/pn/p10/node_modules/pnpm/dist/pnpm.cjs');
const f9 = load('/tmp/pn/p9/node_modules/pnpm/dist/pnpm.cjs');
const long = "@very-long-scope-name-for-testing/" + "x".repeat(60) + "@1.0.0(" + "y".repeat(40) + "@2.0.0)";
for (const [s, m] of [["a@1.0.0(b@2.0.0(c@1.0.0))",10],["a@1.0.0-RC1",10],["a@1.0.0-RC1",9],[long,10],[long,9],["a@1.0.0#x",10],["a@1.0.0#x",9]]) {
  console.log(m, JSON.stringify(s), JSON.stringify((m==10?f10:f9)(s, 120)));
}
