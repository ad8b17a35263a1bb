// stack.mjs starts the whole county the way `make run` does (`fupin dev`: in-process etcd, both services,
// the gateway with the embedded portal and the development identity provider, the seeded demo county),
// but in a temporary data directory on free loopback ports, and stops it again.
import { spawn } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The repository's root (this file is gateway/portal/e2e/stack.mjs). */
export const repoRoot = resolve(import.meta.dirname, '../../..')

/** freePort asks the kernel for a loopback port nobody listens on. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', fail)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => ok(port))
    })
  })
}

/**
 * startCounty runs `<bin> dev` (FUPIN_BIN, a `fupin` binary built with the portal embedded) and resolves once
 * its gateway answers /healthz. `households` is the demo county's size (`fupin dev --households`);
 * `dataDir` an existing data directory to reuse (the benchmark's imported county), else a new temporary one.
 */
export async function startCounty({ bin = process.env.FUPIN_BIN, households = 3000, dataDir, extraArgs = [], timeoutMs = 300_000 } = {}) {
  if (!bin) throw new Error('FUPIN_BIN is not set: build the fupin binary (make portal-e2e does) and name it')
  const own = !dataDir
  const data = dataDir ?? mkdtempSync(join(tmpdir(), 'fupin-e2e-'))
  const addr = `127.0.0.1:${await freePort()}`
  const etcd = `http://127.0.0.1:${await freePort()}`
  const logPath = join(data, 'county.log')
  const log = openSync(logPath, 'a')
  const child = spawn(
    bin,
    ['dev', '--data', data, '--deploy', join(repoRoot, 'deploy'), '--addr', addr, '--etcd', etcd, '--households', String(households), ...extraArgs],
    // Request lines at info would fill the log; warnings and errors are what a failed run needs.
    { stdio: ['ignore', log, log], env: { ...process.env, FUPIN_LOG_LEVEL: process.env.FUPIN_LOG_LEVEL ?? 'warn', FUPIN_LOG_FORMAT: 'text' } },
  )
  let exited = null
  child.on('exit', (code, signal) => (exited = { code, signal }))
  // A harness that dies (an uncaught error, Ctrl-C) takes the county with it.
  const orphan = () => exited || child.kill('SIGKILL')
  process.once('exit', orphan)
  const url = `http://${addr}`
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (exited) throw new Error(`fupin dev exited (${JSON.stringify(exited)}); its log:\n${tail(logPath)}`)
    try {
      const r = await fetch(`${url}/healthz`)
      if (r.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`the county did not become healthy in ${timeoutMs / 1000} s; its log:\n${tail(logPath)}`)
    }
    await new Promise((r) => setTimeout(r, 150))
  }
  return {
    url,
    data,
    logPath,
    pid: child.pid,
    async stop() {
      process.off('exit', orphan)
      if (!exited) {
        const done = new Promise((r) => child.once('exit', r))
        child.kill('SIGINT')
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        await done
        clearTimeout(timer)
      }
      if (own && !process.env.FUPIN_E2E_KEEP) rmSync(data, { recursive: true, force: true })
    },
  }
}

function tail(path, n = 4096) {
  try {
    const s = readFileSync(path, 'utf8')
    return s.slice(-n)
  } catch (e) {
    return String(e)
  }
}
