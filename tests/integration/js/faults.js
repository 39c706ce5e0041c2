#!/usr/bin/env node
// kafkajs 2.2.4, idempotent, through injected faults (run by
// test_faults.py):
//
//   node faults.js HOST:PORT ADMIN_PORT TOPIC N PAUSE_MS
//
// Sends one warm-up record, queues NOT_LEADER_OR_FOLLOWER (6) and
// REQUEST_TIMED_OUT (7) errors for the next Produce requests through the
// faults admin interface, sends records "kjs-0".."kjs-<N/2-1>", pauses
// the broker for PAUSE_MS, sends the rest during the outage.  Every send
// must succeed (the test reads the topic back and counts).  Exits 1 with
// the reason on a failure, 2 on its own time limit.
'use strict'

const net = require('net')
const { Kafka, logLevel } = require('kafkajs')

const [broker, adminPort, topic, nArg, pauseArg] = process.argv.slice(2)
if (!pauseArg) {
  console.error('usage: node faults.js HOST:PORT ADMIN_PORT TOPIC N PAUSE_MS')
  process.exit(64)
}
const N = Number(nArg)
const LIMIT_MS = Number(process.env.FAULTS_JS_LIMIT_MS || 90000)
setTimeout(() => {
  console.error(`FAIL: faults.js did not finish within ${LIMIT_MS} ms`)
  process.exit(2)
}, LIMIT_MS).unref()

// One command line to the admin interface; resolves with its reply.
function admin (cmd) {
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(adminPort), '127.0.0.1', () => s.write(cmd + '\n'))
    let buf = ''
    s.on('data', d => {
      buf += d
      if (buf.endsWith('\n')) {
        s.end()
        resolve(buf.trim())
      }
    })
    s.on('error', reject)
  })
}

async function sendRange (producer, from, to) {
  // Several sends in flight, as an application would.
  const sends = []
  for (let i = from; i < to; i += 10) {
    const messages = []
    for (let j = i; j < Math.min(i + 10, to); j++) messages.push({ value: `kjs-${j}` })
    sends.push(producer.send({ topic, acks: -1, messages }))
  }
  await Promise.all(sends)
}

async function main () {
  const kafka = new Kafka({
    clientId: 'sluice-faults',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 100, retries: 20 }
  })
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  await producer.send({ topic, acks: -1, messages: [{ value: 'warm-up' }] })
  const r = await admin('errors Produce 6 7 6 7')
  if (r !== 'ok') throw new Error(`admin errors: ${r}`)
  await sendRange(producer, 0, N / 2)
  const p = await admin(`pause ${pauseArg}`)
  if (p !== 'ok') throw new Error(`admin pause: ${p}`)
  await sendRange(producer, N / 2, N)
  await producer.disconnect()
  console.log('ok sent', N)
}

main().catch(e => {
  console.error('FAIL:', e && e.stack ? e.stack : e)
  process.exit(1)
})
