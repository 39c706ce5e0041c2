#!/usr/bin/env node
// kafkajs 2.2.4 producer, group consumer and admin reads against sluiced
// (run by test_kafkajs_clients.py).
//
//   node clients.js HOST:PORT
//
// 1. createTopics: kjs-gzip-a1, kjs-gzip-aall, kjs-plain (2 partitions each).
// 2. A producer sends keys, headers and explicit timestamps to each, in
//    several sends per partition: GZIP with acks 1, GZIP with acks -1 (all),
//    no compression with acks -1; every send's baseOffset follows on.
// 3. A group consumer (subscribe fromBeginning; kafkajs has no assign) reads
//    everything back exactly: offsets, keys, values, headers, timestamps.
// 4. admin.fetchTopicOffsets (low 0, high = count) for each topic;
//    admin.fetchTopicOffsetsByTimestamp on kjs-plain: a record's own time,
//    between two records, before everything and past the end (kafkajs then
//    gives the high watermark).
// 5. admin.fetchTopicMetadata for one topic and for all (no topics).
// 6. Producing to a bad topic name fails.
//
// Prints one "ok <what>" line per check; exits 1 with the reason on the
// first failure, 2 if it hits its own time limit.
'use strict'

const { Kafka, logLevel, CompressionTypes } = require('kafkajs')

const broker = process.argv[2]
if (!broker) {
  console.error('usage: node clients.js HOST:PORT')
  process.exit(64)
}
const LIMIT_MS = Number(process.env.CLIENTS_JS_LIMIT_MS || 45000)
const limit = setTimeout(() => {
  console.error(`FAIL: clients.js did not finish within ${LIMIT_MS} ms`)
  process.exit(2)
}, LIMIT_MS)
limit.unref()

const NPART = 2
const PER_PART = 40
const CHUNK = 8 // records per send
const T0 = 1700000000000
const GROUP = 'kjs-clients-g'
const TOPICS = [
  { topic: 'kjs-gzip-a1', acks: 1, compression: CompressionTypes.GZIP },
  { topic: 'kjs-gzip-aall', acks: -1, compression: CompressionTypes.GZIP },
  { topic: 'kjs-plain', acks: -1, compression: CompressionTypes.None }
]

// kafkajs logs MEMBER_ID_REQUIRED (JoinGroup v4+) as an error on every join:
// normal, so not shown; anything else at WARN or above goes to stderr.
const logCreator = () => ({ namespace, level, log }) => {
  const text = `${log.message} ${log.error || ''}`
  if (/member id required/i.test(text) || /MEMBER_ID_REQUIRED/.test(text)) return
  if (level <= logLevel.WARN) {
    console.error(`kafkajs ${level === logLevel.ERROR ? 'ERROR' : 'WARN'} [${namespace}] ${text}`)
  }
}

const kafka = new Kafka({
  clientId: 'kjs-clients',
  brokers: [broker],
  connectionTimeout: 5000,
  requestTimeout: 15000,
  retry: { retries: 3, initialRetryTime: 100 },
  logLevel: logLevel.WARN,
  logCreator
})

function check (cond, what, detail) {
  if (!cond) {
    throw new Error(`${what}${detail === undefined ? '' : ': ' + JSON.stringify(detail)}`)
  }
  console.log(`ok ${what}`)
}

function sleep (ms) { return new Promise(resolve => setTimeout(resolve, ms)) }

function makeRecords (topic, p) {
  const out = []
  for (let i = 0; i < PER_PART; i++) {
    const key = i % 9 === 4 ? null : `${topic}-k${p}-${i % 6}`
    const value = `${topic} p${p} record ${i} `.repeat(1 + (i % 25))
    const headers = i % 7 === 3 ? {} : { i: String(i), tag: topic, bin: Buffer.from([0, 255, i]) }
    out.push({ key, value, headers, timestamp: String(T0 + p * 100000 + i * 10) })
  }
  return out
}

function sameHeaders (got, want) {
  const gk = Object.keys(got || {}).sort()
  const wk = Object.keys(want).sort()
  if (JSON.stringify(gk) !== JSON.stringify(wk)) return false
  return wk.every(k => Buffer.isBuffer(got[k]) && got[k].equals(Buffer.from(want[k])))
}

async function main () {
  const admin = kafka.admin()
  await admin.connect()
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: TOPICS.map(t => ({ topic: t.topic, numPartitions: NPART }))
  })
  check(created === true, 'createTopics')

  // --- produce ---------------------------------------------------------------
  const sent = {} // topic -> [partition] -> records
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  for (const { topic, acks, compression } of TOPICS) {
    sent[topic] = []
    for (let p = 0; p < NPART; p++) {
      const recs = makeRecords(topic, p)
      sent[topic].push(recs)
      for (let start = 0; start < recs.length; start += CHUNK) {
        const chunk = recs.slice(start, start + CHUNK)
        const res = await producer.send({
          topic,
          acks,
          compression,
          messages: chunk.map(r => ({ ...r, partition: p }))
        })
        if (res.length !== 1 || res[0].partition !== p || res[0].errorCode !== 0 ||
            res[0].baseOffset !== String(start)) {
          throw new Error(`send to ${topic}[${p}] at ${start}: ${JSON.stringify(res)}`)
        }
      }
    }
    check(true, `produce ${topic} (acks ${acks}, compression ${compression})`)
  }
  await producer.disconnect()

  // --- consume with a group --------------------------------------------------
  const got = {}
  for (const { topic } of TOPICS) got[topic] = [...Array(NPART)].map(() => [])
  const total = TOPICS.length * NPART * PER_PART
  let count = 0
  const consumer = kafka.consumer({ groupId: GROUP, maxWaitTimeInMs: 100, sessionTimeout: 10000 })
  await consumer.connect()
  await consumer.subscribe({ topics: TOPICS.map(t => t.topic), fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      got[topic][partition].push(message)
      count++
    }
  })
  const end = Date.now() + Math.max(5000, LIMIT_MS - 15000)
  while (count < total) {
    if (Date.now() > end) throw new Error(`consumed ${count} of ${total} records`)
    await sleep(50)
  }
  await sleep(300) // anything past the end would show up as extra records
  await consumer.disconnect()
  for (const { topic } of TOPICS) {
    for (let p = 0; p < NPART; p++) {
      const g = got[topic][p]
      const w = sent[topic][p]
      check(g.length === w.length, `${topic}[${p}] record count`, g.length)
      for (let i = 0; i < w.length; i++) {
        const m = g[i]
        const r = w[i]
        const where = `${topic}[${p}]@${i}`
        if (m.offset !== String(i)) throw new Error(`${where}: offset ${m.offset}`)
        const key = m.key === null ? null : m.key.toString()
        if (key !== r.key) throw new Error(`${where}: key ${key} vs ${r.key}`)
        if (m.value.toString() !== r.value) throw new Error(`${where}: value differs`)
        if (m.timestamp !== r.timestamp) throw new Error(`${where}: timestamp ${m.timestamp} vs ${r.timestamp}`)
        if (!sameHeaders(m.headers, r.headers)) throw new Error(`${where}: headers ${JSON.stringify(m.headers)}`)
      }
      check(true, `${topic}[${p}] read back exactly`)
    }
  }

  // --- watermarks and offsets for times ---------------------------------------
  for (const { topic } of TOPICS) {
    const offs = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition)
    check(offs.length === NPART && offs.every(o => o.low === '0' && o.high === String(PER_PART)),
      `fetchTopicOffsets ${topic}`, offs)
  }
  const plain = sent['kjs-plain']
  const byTime = async (ts) => (await admin.fetchTopicOffsetsByTimestamp('kjs-plain', ts))
    .sort((a, b) => a.partition - b.partition).map(o => o.offset)
  const k = 17
  let o = await byTime(Number(plain[0][k].timestamp))
  check(JSON.stringify(o) === JSON.stringify([String(k), '0']), 'offsets by timestamp: a record\'s own time', o)
  o = await byTime(Number(plain[1][k].timestamp) + 1)
  check(JSON.stringify(o) === JSON.stringify([String(PER_PART), String(k + 1)]),
    'offsets by timestamp: between two records (partition 0 past its end)', o)
  o = await byTime(T0 - 1000)
  check(JSON.stringify(o) === JSON.stringify(['0', '0']), 'offsets by timestamp: before everything', o)
  o = await byTime(Number(plain[1][PER_PART - 1].timestamp) + 1)
  check(JSON.stringify(o) === JSON.stringify([String(PER_PART), String(PER_PART)]),
    'offsets by timestamp: past the end gives the high watermark', o)

  // --- metadata --------------------------------------------------------------
  let md = await admin.fetchTopicMetadata({ topics: ['kjs-plain'] })
  check(md.topics.length === 1 && md.topics[0].name === 'kjs-plain' &&
    md.topics[0].partitions.length === NPART &&
    md.topics[0].partitions.every(p => p.partitionErrorCode === 0 && p.leader === 0),
  'fetchTopicMetadata for one topic', md)
  md = await admin.fetchTopicMetadata()
  const names = md.topics.map(t => t.name)
  check(TOPICS.every(t => names.includes(t.topic)) && !names.includes('__consumer_offsets'),
    'fetchTopicMetadata for all topics', names)

  // --- a bad topic name ------------------------------------------------------
  const bad = kafka.producer({ retry: { retries: 0 } })
  await bad.connect()
  let err = null
  try {
    await bad.send({ topic: 'bad name!', acks: -1, messages: [{ value: 'x' }] })
  } catch (e) { err = e }
  await bad.disconnect()
  check(err !== null && /INVALID_TOPIC|invalid topic/i.test(`${err.type} ${err.message} ${err.cause && err.cause.type}`),
    'producing to a bad topic name fails', err && `${err.name} ${err.type} ${err.message}`)
  console.log(`# bad topic name: ${err.name} ${err.type || ''} ${err.message}`)
  check(!(await admin.listTopics()).includes('bad name!'), 'the bad name was not created')

  await admin.disconnect()
  console.log('clients.js: all checks passed')
}

main().catch(e => {
  console.error('FAIL: ' + (e && e.stack ? e.stack : e))
  process.exit(1)
})
