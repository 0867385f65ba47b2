'use strict';
// Read back what a load acknowledged, and the smoke check.

const { evaluateWithRetries, submitWithRetries, describe } = require('./retry');

/**
 * Per (channel, key) the last acknowledged write (by acknowledgement time; the load never writes a key
 * twice at once), with the values of its failed submissions (a failed one may still have committed).
 */
function expectations(records) {
  const expected = new Map();
  const sorted = [...records].sort((a, b) => (a.acknowledged ?? a.submitted) - (b.acknowledged ?? b.submitted));
  for (const record of sorted) {
    const id = `${record.channel}\n${record.key}`;
    const entry = expected.get(id) || { channel: record.channel, key: record.key, value: null, tx_id: null, failedValues: [] };
    if (record.ok) Object.assign(entry, { value: record.value, tx_id: record.tx_id });
    else entry.failedValues.push(record.value);
    expected.set(id, entry);
  }
  return [...expected.values()].filter((entry) => entry.tx_id !== null);
}

/** One expectation against what was read ({found, asset}): null when it holds, else what is wrong. */
function compare(entry, read) {
  const base = { channel: entry.channel, key: entry.key, expected: entry.value, tx_id: entry.tx_id };
  if (!read.found) return { kind: 'missing', ...base };
  const actual = read.asset.value === undefined ? null : String(read.asset.value);
  if (actual === String(entry.value)) return null;
  return { kind: 'mismatch', ...base, actual, unacknowledged_write: entry.failedValues.includes(actual) };
}

/** {found: false} when AssetExists says so, else {found: true, asset}; throws when the peers do not answer. */
async function readAsset(port, channel, key, policy) {
  const exists = JSON.parse(await evaluateWithRetries(port, { channel, fn: 'AssetExists', args: [key] }, policy));
  if (!exists) return { found: false };
  return { found: true, asset: JSON.parse(await evaluateWithRetries(port, { channel, fn: 'ReadAsset', args: [key] }, policy)) };
}

/** Runs `task` over `items` with at most `limit` at once, results in order. */
async function mapLimit(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function runVerify(port, records, options, { sleep } = {}) {
  const policy = { retries: options.retries, retryDelay: options.retryDelay, sleep };
  const entries = expectations(records);
  const summary = { mode: 'verify', records: records.length, checked: entries.length, matched: 0, mismatches: [], missing: [], errors: [] };
  await mapLimit(entries, options.concurrency, async (entry, index) => {
    let problem;
    try {
      problem = compare(entry, await readAsset(port, entry.channel, entry.key, { ...policy, firstPeer: index % port.peers }));
    } catch (err) {
      summary.errors.push({ channel: entry.channel, key: entry.key, error: describe(err) });
      return;
    }
    if (!problem) summary.matched += 1;
    else if (problem.kind === 'missing') summary.missing.push(problem);
    else summary.mismatches.push(problem);
  });
  summary.ok = summary.matched === entries.length;
  return summary;
}

/** One create and one read per channel; ok only when every read returns the value written. */
async function runSmoke(port, options, { now = Date.now, sleep } = {}) {
  const policy = { retries: options.retries, retryDelay: options.retryDelay, now, sleep };
  const channels = [];
  for (const channel of options.channel) {
    const key = `${options.keyPrefix}-smoke`;
    const value = String(now());
    const result = await submitWithRetries(port, { channel, fn: 'CreateAsset', args: [key, options.owner, value] }, policy);
    const check = { channel, key, value, tx_id: result.txId, block_number: result.blockNumber, attempts: result.attempts, ok: false, error: result.error };
    if (result.ok) {
      try {
        const problem = compare({ channel, key, value, tx_id: result.txId, failedValues: [] }, await readAsset(port, channel, key, policy));
        Object.assign(check, { ok: !problem, error: problem && `read back: ${problem.kind}, ${problem.actual ?? 'no asset'} instead of ${value}` });
      } catch (err) {
        check.error = describe(err);
      }
    }
    channels.push(check);
  }
  return { mode: 'smoke', channels, ok: channels.every((check) => check.ok) };
}

module.exports = { expectations, compare, mapLimit, runVerify, runSmoke };
