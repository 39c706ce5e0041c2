#!/usr/bin/env node
// kafkajs 2.2.4 consumer groups against sluiced (run by test_groups_kafkajs.py).
//
//   node groups.js HOST:PORT
//
// 1. A producer writes 3 x 40 records to an auto-created 3-partition topic.
// 2. A group consumer (eachMessage, autoCommit) reads all of them once;
//    admin.fetchOffsets gives the partition ends after it disconnects.
// 3. 3 x 10 more records; a second consumer of the group (autoCommit off,
//    manual commitOffsets) reads only those.  While it runs:
//    admin.listGroups, admin.describeGroups (Stable, one member, its
//    assignment), admin.deleteGroups refused (NON_EMPTY_GROUP).
// 4. After it disconnects: describeGroups says Empty, fetchOffsets the ends,
//    admin.setOffsets moves partition 0 (kafkajs does it by joining the
//    group with a consumer of its own); deleteGroups succeeds; then
//    fetchOffsets gives -1, listGroups no longer lists the group,
//    describeGroups says Dead, a second deleteGroups gets GROUP_ID_NOT_FOUND.
//
// Prints one "ok <what>" line per check; exits 1 with the reason on the
// first failure, 2 if it hits its own time limit.
'use strict'

const { Kafka, logLevel, AssignerProtocol } = require('kafkajs')

const broker = process.argv[2]
if (!broker) {
  console.error('usage: node groups.js HOST:PORT')
  process.exit(64)
}
const TOPIC = 'grp-kjs'
const GROUP = 'grp-kjs-g'
const NPART = 3
const LIMIT_MS = Number(process.env.GROUPS_JS_LIMIT_MS || 70000)

const limit = setTimeout(() => {
  console.error(`FAIL: groups.js did not finish within ${LIMIT_MS} ms`)
  process.exit(2)
}, LIMIT_MS)
limit.unref()

// kafkajs logs MEMBER_ID_REQUIRED (JoinGroup v4+, KIP-394) as an error on
// every join: normal, so not shown; anything else at WARN or above is.
// GROUPS_JS_DEBUG=1 shows kafkajs's debug log on stderr.
const DEBUG = !!process.env.GROUPS_JS_DEBUG
const logCreator = () => ({ namespace, level, log }) => {
  const text = `${log.message} ${log.error || ''}`
  if (DEBUG) {
    const { message, timestamp, logger, ...rest } = log
    console.error(`${log.timestamp} ${level} [${namespace}] ${message} ${JSON.stringify(rest)}`)
    return
  }
  if (/member id required/i.test(text) || /MEMBER_ID_REQUIRED/.test(text)) return
  if (level <= logLevel.WARN) {
    console.error(`kafkajs ${level === logLevel.ERROR ? 'ERROR' : 'WARN'} [${namespace}] ${text}`)
  }
}

const kafka = new Kafka({
  clientId: 'kjs-groups',
  brokers: [broker],
  connectionTimeout: 5000,
  requestTimeout: 15000,
  retry: { retries: 3, initialRetryTime: 100 },
  logLevel: DEBUG ? logLevel.DEBUG : logLevel.WARN,
  logCreator,
})

function check (cond, what, detail) {
  if (!cond) {
    throw new Error(`${what}${detail === undefined ? '' : ': ' + JSON.stringify(detail)}`)
  }
  console.log(`ok ${what}`)
}

function sleep (ms) { return new Promise(resolve => setTimeout(resolve, ms)) }

async function waitFor (pred, ms, what) {
  const end = Date.now() + ms
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(50)
  }
}

const sent = new Map() // "p:offset" -> value

async function produce (tag, perPart) {
  const producer = kafka.producer({ allowAutoTopicCreation: true })
  await producer.connect()
  try {
    for (let p = 0; p < NPART; p++) {
      const messages = []
      for (let i = 0; i < perPart; i++) messages.push({ value: `${tag}-${p}-${i}`, partition: p })
      const res = await producer.send({ topic: TOPIC, acks: -1, messages })
      const base = Number(res[0].baseOffset)
      check(res[0].errorCode === 0 && res[0].partition === p, `produce ${tag} to partition ${p}`, res)
      messages.forEach((m, i) => sent.set(`${p}:${base + i}`, m.value))
    }
  } finally {
    await producer.disconnect()
  }
}

function groupConsumer () {
  return kafka.consumer({
    groupId: GROUP,
    sessionTimeout: 6000,
    rebalanceTimeout: 10000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
    retry: { retries: 3, initialRetryTime: 100 },
  })
}

// Consume until `want` (a set of "p:offset") has been seen; returns every
// record seen, so duplicates and strays show.
async function consumeUntil (consumer, want, runOpts, eachHook) {
  const got = []
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
  await consumer.run({
    ...runOpts,
    eachMessage: async ({ topic, partition, message }) => {
      got.push({ key: `${partition}:${message.offset}`, value: message.value.toString() })
      if (eachHook) await eachHook({ topic, partition, message })
    },
  })
  await waitFor(() => [...want].every(k => got.some(g => g.key === k)), 30000,
    `${want.size} records to be consumed (have ${got.length})`)
  await sleep(300) // a duplicate or a stray would show up here
  return got
}

function checkExactly (got, want, what) {
  const keys = got.map(g => g.key)
  const dups = keys.filter((k, i) => keys.indexOf(k) !== i)
  check(dups.length === 0, `${what}: nothing read twice`, dups.slice(0, 10))
  const extra = keys.filter(k => !want.has(k))
  check(extra.length === 0, `${what}: nothing read that should not be`, extra.slice(0, 10))
  check(keys.length === want.size, `${what}: all ${want.size} read`, keys.length)
  for (const g of got) {
    if (sent.get(g.key) !== g.value) throw new Error(`${g.key}: read ${g.value}, produced ${sent.get(g.key)}`)
  }
}

async function ends (admin) {
  const offs = await admin.fetchTopicOffsets(TOPIC)
  const out = {}
  for (const o of offs) out[o.partition] = o.high
  return out
}

async function committed (admin) {
  const res = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] })
  check(res.length === 1 && res[0].topic === TOPIC, 'fetchOffsets answers for the topic', res)
  const out = {}
  for (const p of res[0].partitions) out[p.partition] = p.offset
  return out
}

async function main () {
  const admin = kafka.admin()
  await admin.connect()
  try {
    // 1.
    await produce('a', 40)
    const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] })
    check(meta.topics[0].partitions.length === NPART, `topic has ${NPART} partitions`,
      meta.topics[0].partitions.length)

    // 2. autoCommit
    const c1 = groupConsumer()
    await c1.connect()
    const want1 = new Set(sent.keys())
    const got1 = await consumeUntil(c1, want1, { autoCommit: true })
    checkExactly(got1, want1, 'first consumer (autoCommit)')
    await c1.disconnect()
    const end1 = await ends(admin)
    const com1 = await committed(admin)
    check(JSON.stringify(com1) === JSON.stringify(end1), 'autoCommit committed the partition ends',
      { committed: com1, ends: end1 })

    // 3. manual commits
    const before = new Set(sent.keys())
    await produce('b', 10)
    const want2 = new Set([...sent.keys()].filter(k => !before.has(k)))
    const c2 = groupConsumer()
    await c2.connect()
    let commitErrors = 0
    const got2 = await consumeUntil(c2, want2, { autoCommit: false }, async ({ topic, partition, message }) => {
      try {
        await c2.commitOffsets([{ topic, partition, offset: (Number(message.offset) + 1).toString() }])
      } catch (e) {
        commitErrors++
        console.error(`commitOffsets: ${e}`)
      }
    })
    checkExactly(got2, want2, 'second consumer (manual commitOffsets) reads only the new records')
    check(commitErrors === 0, 'every commitOffsets succeeded', commitErrors)

    const list = await admin.listGroups()
    const mine = list.groups.filter(g => g.groupId === GROUP)
    check(mine.length === 1 && mine[0].protocolType === 'consumer', 'listGroups lists the group', list)

    let desc = await admin.describeGroups([GROUP])
    let g = desc.groups[0]
    check(desc.groups.length === 1 && g.groupId === GROUP && g.errorCode === 0, 'describeGroups answers', desc)
    check(g.state === 'Stable', 'describeGroups: Stable while consuming', g.state)
    check(g.protocolType === 'consumer' && g.protocol === 'RoundRobinAssigner',
      'describeGroups: consumer / RoundRobinAssigner', [g.protocolType, g.protocol])
    check(g.members.length === 1 && g.members[0].clientId === 'kjs-groups', 'describeGroups: one member',
      g.members.map(m => [m.memberId, m.clientId]))
    const asg = AssignerProtocol.MemberAssignment.decode(g.members[0].memberAssignment)
    const parts = (asg.assignment[TOPIC] || []).slice().sort()
    check(JSON.stringify(parts) === JSON.stringify([0, 1, 2]), 'describeGroups: member assigned all partitions', asg)
    const meta2 = AssignerProtocol.MemberMetadata.decode(g.members[0].memberMetadata)
    check(meta2.topics.includes(TOPIC), 'describeGroups: member metadata names the topic', meta2)

    let refused = null
    try {
      await admin.deleteGroups([GROUP])
    } catch (e) {
      refused = e
    }
    check(refused && refused.name === 'KafkaJSDeleteGroupsError' &&
      refused.groups[0].error.type === 'NON_EMPTY_GROUP', 'deleteGroups refused while the group has a member',
    refused && { name: refused.name, groups: refused.groups })

    await c2.disconnect()

    // 4.
    desc = await admin.describeGroups([GROUP])
    g = desc.groups[0]
    check(g.state === 'Empty' && g.members.length === 0, 'describeGroups: Empty after disconnect',
      { state: g.state, members: g.members.length })
    const end2 = await ends(admin)
    const com2 = await committed(admin)
    check(JSON.stringify(com2) === JSON.stringify(end2), 'manual commits reached the partition ends',
      { committed: com2, ends: end2 })

    await admin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [{ partition: 0, offset: '7' }] })
    const com3 = await committed(admin)
    check(com3[0] === '7' && com3[1] === end2[1], 'setOffsets on the empty group', com3)

    const del = await admin.deleteGroups([GROUP])
    check(del.length === 1 && del[0].groupId === GROUP && del[0].errorCode === 0, 'deleteGroups', del)
    const com4 = await committed(admin)
    check(Object.values(com4).every(o => o === '-1'), 'no committed offsets after deleteGroups', com4)
    const list2 = await admin.listGroups()
    check(!list2.groups.some(x => x.groupId === GROUP), 'listGroups no longer lists the group', list2)
    desc = await admin.describeGroups([GROUP])
    check(desc.groups[0].state === 'Dead', 'describeGroups: Dead after deleteGroups', desc.groups[0].state)

    let notFound = null
    try {
      await admin.deleteGroups([GROUP])
    } catch (e) {
      notFound = e
    }
    check(notFound && notFound.groups && notFound.groups[0].error.type === 'GROUP_ID_NOT_FOUND',
      'deleteGroups of a deleted group: GROUP_ID_NOT_FOUND', notFound && { name: notFound.name, groups: notFound.groups })
  } finally {
    await admin.disconnect()
  }
}

main().then(() => {
  console.log('groups.js: all checks passed')
  process.exit(0)
}, e => {
  console.error(`FAIL: ${e && e.stack ? e.stack : e}`)
  process.exit(1)
})
