// Extracts archives with npm's own pacote, the code `npm ci` runs, so that
// TestCorpusAgainstNpm can compare airlock's trees with npm's.
//
// usage: node pacote-extract.js <pacote module dir> <jobs.json>
// jobs.json holds [{"tgz": path, "dest": path, "cache": dir}]; the result,
// on stdout, is [{"ok": bool, "error": string}] in the same order.
const [pacoteDir, jobsFile] = process.argv.slice(2)
const pacote = require(pacoteDir)
const jobs = require(jobsFile)

// Some archives make node-tar throw outside any promise (a name with NUL
// bytes reaches fs.lstat), which would crash npm; count that as a failure of
// the job at hand.
let crashed = null
process.on('uncaughtException', er => {
  if (!crashed) {
    throw er
  }
  crashed(er)
})

const main = async () => {
  const out = []
  for (const job of jobs) {
    try {
      await new Promise((resolve, reject) => {
        crashed = er => reject(Object.assign(er, { message: 'npm crashes: ' + er.message }))
        // umask 0 is npm's default "umask" setting; the kernel applies
        // the process umask, as it does under npm ci.
        pacote.extract('file:' + job.tgz, job.dest, { cache: job.cache, umask: 0 }).then(resolve, reject)
      })
      out.push({ ok: true, error: '' })
    } catch (er) {
      out.push({ ok: false, error: `${er.code || ''} ${er.message}` })
    }
  }
  process.stdout.write(JSON.stringify(out))
}
main()
