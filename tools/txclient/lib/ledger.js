'use strict';
// The ledger check: every transaction the load acknowledged is in the ledger of every --peer, by
// transaction ID, with validation code VALID. Each peer is read on its own, through its own gateway
// connection only (a read through a gateway that picks its peer would not prove this), over a port:
//   port.filteredBlocks(peer, channel) -> {next() -> {done, value: {number, transactions: [{txId, code, name}]}}, close()}
// the filtered blocks of the channel from block 0, waiting for new ones once the ledger's end is reached.
// Fabric keeps the validation code of an ID's first occurrence (a later copy is DUPLICATE_TXID): that one decides.

const { describe } = require('./retry');
const { seconds } = require('./records');

const VALID = 0;
const SHOWN = 20; // IDs listed per peer and channel; the counts are complete
const TIMEOUT = Symbol('timeout');

/**
 * Per --channel: the acknowledged transaction IDs and the highest block they were committed in
 * (null when a record lacks its block). -> {channels: Map, notChecked: {channel: acknowledged}}
 */
function acknowledged(records, channels) {
  const expected = new Map(channels.map((channel) => [channel, { txIds: new Set(), lastBlock: -1 }]));
  const notChecked = {};
  for (const record of records) {
    if (!record.ok || !record.tx_id) continue;
    const entry = expected.get(record.channel);
    if (!entry) {
      notChecked[record.channel] = (notChecked[record.channel] || 0) + 1;
      continue;
    }
    entry.txIds.add(record.tx_id);
    const block = record.block_number;
    entry.lastBlock = Number.isInteger(block) && entry.lastBlock !== null ? Math.max(entry.lastBlock, block) : null;
  }
  return { channels: expected, notChecked };
}

/** The first occurrence of each expected ID in the blocks given to add(). */
function tally(txIds) {
  const first = new Map();
  return {
    add(block) {
      for (const tx of block.transactions) {
        if (txIds.has(tx.txId) && !first.has(tx.txId)) first.set(tx.txId, { code: tx.code, status: tx.name, block: block.number });
      }
    },
    complete: () => first.size === txIds.size,
    outcome() {
      const missing = [...txIds].filter((txId) => !first.has(txId));
      const invalid = [...first].filter(([, seen]) => seen.code !== VALID).map(([txId, seen]) => ({ tx_id: txId, ...seen }));
      return { present: first.size - invalid.length, missing, invalid };
    },
  };
}

/** `pending` (a stream.next()), or TIMEOUT after `ms`; the timer does not outlive the call (it would hold the process). */
async function nextWithin(pending, ms) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, TIMEOUT);
  });
  try {
    return await Promise.race([pending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads one peer's blocks of one channel until every expected ID was seen, the block of the last
 * one was read (what is still missing is not in that ledger), no block came for `idleMs`, the
 * `deadline` passed, or the stream broke off. The stream is closed in every case.
 */
async function scan(port, peer, channel, expected, { idleMs, deadline, now }) {
  const seen = tally(expected.txIds);
  const progress = { blocks_read: 0, last_block: null, stopped_by: null, error: null };
  let stream = null;
  try {
    for (;;) {
      if (seen.complete()) progress.stopped_by = 'complete';
      else if (expected.lastBlock !== null && progress.last_block !== null && progress.last_block >= expected.lastBlock) progress.stopped_by = 'last-block';
      if (progress.stopped_by) break;
      const left = deadline - now();
      if (left <= 0) {
        progress.stopped_by = 'max-seconds';
        break;
      }
      stream ??= await port.filteredBlocks(peer, channel); // not opened when nothing is expected
      const pending = stream.next();
      pending.catch(() => {}); // left behind by a timeout, it rejects once the stream is closed
      const next = await nextWithin(pending, Math.min(idleMs, left));
      if (next === TIMEOUT) {
        progress.stopped_by = idleMs <= left ? 'idle' : 'max-seconds';
        break;
      }
      if (next.done) throw new Error('the peer ended the block stream');
      seen.add(next.value);
      progress.blocks_read += 1;
      progress.last_block = next.value.number;
    }
  } catch (err) {
    Object.assign(progress, { stopped_by: 'error', error: describe(err) });
  } finally {
    if (stream) stream.close();
  }
  return { progress, ...seen.outcome() };
}

/** One line of the summary: a peer's channel. */
function checkResult(peerName, channel, expected, { progress, present, missing, invalid }) {
  return {
    peer: peerName,
    channel,
    ...progress,
    expected: expected.txIds.size,
    present,
    missing: missing.slice(0, SHOWN),
    missing_count: missing.length,
    invalid: invalid.slice(0, SHOWN),
    invalid_count: invalid.length,
  };
}

/** Every (peer, channel) at once, each on its own stream, all within --max-seconds. */
async function runLedger(port, records, options, { now = Date.now } = {}) {
  const start = now();
  const bounds = { idleMs: options.idleSeconds * 1000, deadline: start + options.maxSeconds * 1000, now };
  const { channels, notChecked } = acknowledged(records, options.channel);
  const pairs = options.peer.flatMap((peerName, peer) => options.channel.map((channel) => ({ peerName, peer, channel })));
  const results = await Promise.all(
    pairs.map(async ({ peerName, peer, channel }) => {
      const expected = channels.get(channel);
      return checkResult(peerName, channel, expected, await scan(port, peer, channel, expected, bounds));
    }),
  );
  const sum = (field) => results.reduce((total, result) => total + result[field], 0);
  const totals = { expected: sum('expected'), present: sum('present'), missing: sum('missing_count'), invalid: sum('invalid_count') };
  totals.errors = results.filter((result) => result.error).length;
  return {
    mode: 'ledger',
    records: records.length,
    acknowledged: Object.fromEntries([...channels].map(([channel, entry]) => [channel, entry.txIds.size])),
    not_checked: notChecked,
    results,
    totals,
    elapsed: seconds(now() - start),
    broke_off: totals.errors > 0,
    ok: totals.errors === 0 && totals.present === totals.expected,
  };
}

module.exports = { acknowledged, tally, scan, runLedger };
