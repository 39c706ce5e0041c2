// contrib/node/sluice.js under node:test, with kafkajs (run by
// tests/integration/test_node_helper.py):
// - one broker for the file (before/after hooks, as a mocha or jest user
//   would have it): kafkajs produces and consumes through its bootstrap,
//   and overrides reach sluiced (num.partitions=3);
// - stop() is a clean stop (exit 0), the port is closed and the broker's
//   directory removed afterwards;
// - with no sluiced to be found, startSluice rejects saying where it looked;
//   a broker that cannot start rejects with its log.
'use strict'

const { test, before, after } = require('node:test')
const assert = require('node:assert')
const fs = require('fs')
const net = require('net')
const path = require('path')
const { Kafka, logLevel } = require('kafkajs')

const helper = path.resolve(__dirname, '..', '..', '..', 'contrib', 'node', 'sluice.js')
const { startSluice } = require(helper)

let broker

before(async () => {
  broker = await startSluice({ overrides: { 'num.partitions': 3 } })
})

after(async () => {
  if (broker) await broker.stop()
})

test('kafkajs produces and consumes through the bootstrap', async () => {
  assert.match(broker.bootstrap, /^127\.0\.0\.1:\d+$/)
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
  const producer = kafka.producer({ allowAutoTopicCreation: true })
  await producer.connect()
  await producer.send({ topic: 'node-helper', messages: [{ value: 'hello' }] })
  await producer.disconnect()
  const admin = kafka.admin()
  await admin.connect()
  const md = await admin.fetchTopicMetadata({ topics: ['node-helper'] })
  await admin.disconnect()
  assert.strictEqual(md.topics[0].partitions.length, 3)
  const consumer = kafka.consumer({ groupId: 'node-helper' })
  await consumer.connect()
  await consumer.subscribe({ topic: 'node-helper', fromBeginning: true })
  const got = await new Promise((resolve) => {
    consumer.run({ eachMessage: async ({ message }) => resolve(message.value.toString()) })
  })
  await consumer.disconnect()
  assert.strictEqual(got, 'hello')
})

test('stop is clean and leaves nothing', async () => {
  const b = await startSluice()
  const [host, port] = b.bootstrap.split(':')
  const dir = path.dirname(b.logPath)
  assert.strictEqual(await b.stop(), 0)
  assert.strictEqual(fs.existsSync(dir), false)
  const refused = await new Promise((resolve) => {
    const s = net.connect(Number(port), host)
    s.on('connect', () => { s.destroy(); resolve(false) })
    s.on('error', () => resolve(true))
  })
  assert.ok(refused, 'the broker still listens after stop()')
})

test('a clear error when sluiced cannot be found', async () => {
  const lonely = fs.mkdtempSync(path.join(require('os').tmpdir(), 'sluice-lonely-'))
  fs.copyFileSync(helper, path.join(lonely, 'sluice.js'))
  const copy = require(path.join(lonely, 'sluice.js'))
  const saved = { SLUICED: process.env.SLUICED, PATH: process.env.PATH }
  delete process.env.SLUICED
  process.env.PATH = '/usr/bin:/bin'
  try {
    await assert.rejects(copy.startSluice(), /sluiced not found; looked in: .*\$SLUICED/)
  } finally {
    if (saved.SLUICED !== undefined) process.env.SLUICED = saved.SLUICED
    process.env.PATH = saved.PATH
    fs.rmSync(lonely, { recursive: true, force: true })
  }
})

test('a broker that cannot start rejects with its log', async () => {
  await assert.rejects(startSluice({ overrides: { 'no.such.key': 1 } }),
    /sluiced did not start[\s\S]*no\.such\.key/)
})
