// sluice.js - a throw-away Kafka-compatible broker for Node tests (jest,
// mocha, node:test): starts `sluiced --ephemeral` and gives its bootstrap
// address.  No dependencies.
//
//   const { startSluice } = require('/path/to/sluice/contrib/node/sluice.js')
//   const broker = await startSluice()     // { bootstrap, logPath, stop() }
//   ... new Kafka({ brokers: [broker.bootstrap] }) ...
//   await broker.stop()                    // SIGTERM: clean stop, all removed
//
// sluiced is found, in this order: options.sluiced, $SLUICED, PATH, then the
// build trees of the checkout this file sits in (build*/broker/sluiced, the
// newest); if none has it, startSluice rejects with an Error saying where it
// looked.  options.overrides ({ 'num.partitions': 3 }) go to --override;
// options.startTimeoutMs (default 30000) bounds the start.
//
// jest: globalSetup/globalTeardown modules (see docs/testing.md) call
// jestGlobalSetup()/jestGlobalTeardown(); it sets process.env.SLUICE_BOOTSTRAP.
// mocha: `exports.mochaHooks = mochaHooks()` in a --require'd file; tests read
// process.env.SLUICE_BOOTSTRAP.
'use strict'

const fs = require('fs')
const os = require('os')
const path = require('path')
const { spawn } = require('child_process')

function isExecutable (p) {
  try {
    fs.accessSync(p, fs.constants.X_OK)
    return fs.statSync(p).isFile()
  } catch (e) {
    return false
  }
}

function findSluiced (explicit) {
  const tried = []
  for (const [what, p] of [['options.sluiced', explicit], ['$SLUICED', process.env.SLUICED]]) {
    if (p) {
      if (isExecutable(p)) return p
      throw new Error(`${what} is '${p}', which is not an executable file`)
    }
    tried.push(`${what} (not set)`)
  }
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, 'sluiced'))) return path.join(dir, 'sluiced')
  }
  tried.push('PATH')
  const checkout = path.resolve(__dirname, '..', '..')
  let built = []
  try {
    built = fs.readdirSync(checkout)
      .filter((d) => d.startsWith('build'))
      .map((d) => path.join(checkout, d, 'broker', 'sluiced'))
      .filter(isExecutable)
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)
  } catch (e) { /* not a checkout */ }
  if (built.length) return built[0]
  tried.push(path.join(checkout, 'build*', 'broker', 'sluiced'))
  throw new Error(`sluiced not found; looked in: ${tried.join(', ')}.  Install the sluice ` +
    'package, build it (cmake -S . -B build && cmake --build build), or set ' +
    'SLUICED=/path/to/sluiced')
}

function tail (file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch (e) {
    return ''
  }
}

async function startSluice (options = {}) {
  const sluiced = findSluiced(options.sluiced)
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-node-'))
  const ready = path.join(workdir, 'sluiced.addr')
  const logPath = path.join(workdir, 'sluiced.log')
  const args = ['--ephemeral', '--ready-file', ready]
  for (const [k, v] of Object.entries(options.overrides || {})) args.push('--override', `${k}=${v}`)
  const log = fs.openSync(logPath, 'w')
  const child = spawn(sluiced, args, {
    stdio: ['ignore', log, log],
    env: Object.assign({}, process.env, { TMPDIR: workdir })
  })
  fs.closeSync(log)
  let exited = null
  const exitP = new Promise((resolve) => child.on('exit', (code, sig) => {
    exited = { code, sig }
    resolve(exited)
  }))
  const deadline = Date.now() + (options.startTimeoutMs || 30000)
  while (!fs.existsSync(ready)) {
    if (exited || Date.now() > deadline) {
      if (!exited) child.kill('SIGKILL')
      await exitP
      const text = tail(logPath, 20)
      fs.rmSync(workdir, { recursive: true, force: true })
      throw new Error(`sluiced did not start (${sluiced} ${args.join(' ')}, exit ` +
        `${exited.code ?? exited.sig}); its log:\n${text}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  const bootstrap = fs.readFileSync(ready, 'utf8').trim()
  return {
    bootstrap,
    logPath,
    process: child,
    // SIGTERM (clean stop), SIGKILL after stopTimeoutMs; resolves to the exit code.
    async stop (stopTimeoutMs = 30000) {
      if (!exited) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs)
        await exitP
        clearTimeout(timer)
      }
      fs.rmSync(workdir, { recursive: true, force: true })
      return exited.code
    }
  }
}

let shared = null

async function jestGlobalSetup (options) {
  shared = await startSluice(options)
  process.env.SLUICE_BOOTSTRAP = shared.bootstrap
  globalThis.__SLUICE__ = shared
}

async function jestGlobalTeardown () {
  const b = globalThis.__SLUICE__ || shared
  if (b) await b.stop()
}

function mochaHooks (options) {
  return {
    async beforeAll () {
      this.timeout && this.timeout(60000)
      shared = await startSluice(options)
      process.env.SLUICE_BOOTSTRAP = shared.bootstrap
    },
    async afterAll () {
      if (shared) await shared.stop()
      shared = null
    }
  }
}

module.exports = { findSluiced, startSluice, jestGlobalSetup, jestGlobalTeardown, mochaHooks }
