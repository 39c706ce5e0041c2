#!/usr/bin/env node
// kafkajs 2.2.4 admin client against sluiced (run by test_admin_kafkajs.py).
//
//   node admin.js HOST:PORT
//
// createTopics (with a config entry; again: false, it exists), a producer
// writes to it, fetchTopicOffsets, createPartitions (and a refused
// shrink), describeConfigs (the override and its source), deleteTopics
// (gone from listTopics; a second delete fails).
//
// Prints one "ok <what>" line per check; exits 1 on the first failure, 2
// at its own time limit.
'use strict'

const { Kafka, logLevel, ConfigResourceTypes } = require('kafkajs')

const broker = process.argv[2]
if (!broker) {
  console.error('usage: node admin.js HOST:PORT')
  process.exit(64)
}
const TOPIC = 'kjs-admin'
const LIMIT_MS = Number(process.env.ADMIN_JS_LIMIT_MS || 40000)
const limit = setTimeout(() => {
  console.error(`FAIL: admin.js did not finish within ${LIMIT_MS} ms`)
  process.exit(2)
}, LIMIT_MS)
limit.unref()

function check (cond, what, detail) {
  if (!cond) {
    console.error(`FAIL: ${what}` + (detail !== undefined ? `: ${JSON.stringify(detail)}` : ''))
    process.exit(1)
  }
  console.log(`ok ${what}`)
}

async function main () {
  const kafka = new Kafka({ clientId: 'sluice-admin-test', brokers: [broker], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()

  let created = await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: TOPIC, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '86400000' }] }]
  })
  check(created === true, 'createTopics creates')
  created = await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] })
  check(created === false, 'createTopics of an existing topic is false')
  check((await admin.listTopics()).includes(TOPIC), 'listTopics lists it')

  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: TOPIC, messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }, { value: 'c', partition: 1 }] })
  await producer.disconnect()
  let offs = await admin.fetchTopicOffsets(TOPIC)
  offs.sort((x, y) => x.partition - y.partition)
  check(offs.length === 2 && offs[0].high === '2' && offs[1].high === '1' && offs[0].low === '0',
    'fetchTopicOffsets', offs)

  await admin.createPartitions({ topicPartitions: [{ topic: TOPIC, count: 4 }] })
  offs = await admin.fetchTopicOffsets(TOPIC)
  check(offs.length === 4, 'createPartitions grows to 4', offs)
  let err = null
  try {
    await admin.createPartitions({ topicPartitions: [{ topic: TOPIC, count: 3 }] })
  } catch (e) { err = e }
  check(err && /INVALID_PARTITIONS|partitions/i.test(String(err.type || err.message)), 'createPartitions shrink refused', String(err))

  const d = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC, configNames: ['retention.ms', 'segment.bytes'] }]
  })
  const entries = d.resources[0].configEntries
  const rm = entries.find(e => e.configName === 'retention.ms')
  check(entries.length === 2, 'describeConfigs filters by name', entries)
  check(rm && rm.configValue === '86400000' && rm.isDefault === false, 'describeConfigs shows the override', rm)
  check(rm.configSource === 1, 'source DYNAMIC_TOPIC_CONFIG', rm)

  await admin.deleteTopics({ topics: [TOPIC] })
  check(!(await admin.listTopics()).includes(TOPIC), 'deleteTopics removes it from listTopics')
  err = null
  try {
    await admin.deleteTopics({ topics: [TOPIC], timeout: 2000 })
  } catch (e) { err = e }
  check(err !== null, 'deleting it again fails', String(err))

  await admin.disconnect()
  console.log('admin.js: all checks passed')
}

main().catch(e => {
  console.error('FAIL: ' + (e && e.stack ? e.stack : e))
  process.exit(1)
})
