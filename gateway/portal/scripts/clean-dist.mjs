// clean-dist.mjs empties dist/ before a build, except README.md: the folder is committed with that one file
// so the gateway's go:embed compiles without a build (see dist/README.md).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist')
fs.mkdirSync(dist, { recursive: true })
for (const entry of fs.readdirSync(dist)) {
  if (entry !== 'README.md') fs.rmSync(path.join(dist, entry), { recursive: true, force: true })
}
