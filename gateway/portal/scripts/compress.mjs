// compress.mjs writes precompressed copies next to each text file of dist/ (gzip at level 9, brotli at
// quality 11), so the gateway serves them without compressing per request; a copy that saves nothing is
// not written.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { fileURLToPath } from 'node:url'

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist')
const compressible = /\.(js|mjs|css|html|svg|json|txt|map|ico|woff)$/

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return e.name.startsWith('.') ? [] : files(p)
    return compressible.test(e.name) && e.name !== 'README.md' ? [p] : []
  })
}

let written = 0
for (const f of files(dist)) {
  const raw = fs.readFileSync(f)
  const gz = zlib.gzipSync(raw, { level: 9 })
  const br = zlib.brotliCompressSync(raw, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  })
  for (const [ext, data] of [['.gz', gz], ['.br', br]]) {
    if (data.length < raw.length) {
      fs.writeFileSync(f + ext, data)
      written++
    }
  }
}
console.log(`compress: ${written} precompressed files`)
