'use strict';
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { runLoad } = require('../lib/load');
const { fakeClock, fakePort, FakeGatewayError } = require('./fakes');

const OPTIONS = {
  channel: ['c1', 'c2'], keyPrefix: 'k', owner: 'me', updates: 1, rate: 10, concurrency: 50,
  maxTx: 40, maxSeconds: 300, retries: 3, retryDelay: 1,
};

async function load(options, portOptions = {}, stopRequested = undefined) {
  const clock = fakeClock();
  const port = fakePort({ clock, ...portOptions });
  const records = [];
  const summary = await clock.run(runLoad(port, { ...OPTIONS, ...options }, (record) => records.push(record), { now: clock.now, sleep: clock.sleep, stopRequested }));
  return { summary, records, port };
}

test('offers at the rate, round-robin over the channels, creates then updates, every submission recorded', async () => {
  const { summary, records, port } = await load({});
  assert.equal(records.length, 40);
  const started = records.map((record) => record.submitted).sort((a, b) => a - b);
  assert.deepEqual(started.slice(0, 3), [1_700_000_000, 1_700_000_000.1, 1_700_000_000.2]);
  assert.equal(started[39], 1_700_000_003.9);
  assert.deepEqual(summary, {
    mode: 'load', offered: 40, acknowledged: 40, failed: 0, first_attempt_failures: 0, elapsed: 3.955,
    achieved_rate: 10.11, target_rate: 10, stopped_by: 'max-tx', started: 1_700_000_000,
  });
  for (const channel of ['c1', 'c2']) assert.equal(records.filter((record) => record.channel === channel).length, 20);
  const creates = records.filter((record) => record.fn === 'CreateAsset');
  const updates = records.filter((record) => record.fn === 'UpdateAsset');
  assert.ok(updates.length >= 15, `${updates.length} updates`);
  for (const update of updates) {
    const create = creates.find((record) => record.key === update.key && record.channel === update.channel);
    assert.ok(create.acknowledged <= update.submitted, 'an update follows the acknowledged create of its key');
  }
  assert.equal(new Set(records.map((record) => record.value)).size, 40);
  for (const record of updates) assert.equal(port.ledger.get(`${record.channel}\n${record.key}`).value, record.value);
});

test('never more than --concurrency in flight', async () => {
  const { summary, port } = await load({ concurrency: 3, maxTx: 30, maxSeconds: 20 }, { latency: { status: 1000 } });
  assert.equal(port.maxActive, 3);
  assert.equal(summary.offered, 30);
});

test('a stall (all slots busy) holds back the offer, and no burst follows it', async () => {
  const slowFirst = (call) => (['tx1', 'tx2', 'tx3'].includes(call.txId) ? 3000 : 40);
  const { records } = await load({ concurrency: 3, maxTx: 10 }, { latency: { status: slowFirst } });
  // The first slot frees at 3015 ms (10 + 5 + 3000); from there one every 100 ms, not a catch-up.
  const started = records.map((record) => Math.round((record.submitted - 1_700_000_000) * 1000)).sort((a, b) => a - b);
  assert.deepEqual(started, [0, 100, 200, 3015, 3115, 3215, 3315, 3415, 3515, 3615]);
});

test('bounded in time: --max-seconds ends the offer, in-flight submissions still complete', async () => {
  const { summary, records } = await load({ maxTx: 1000, maxSeconds: 2.05 });
  assert.equal(summary.stopped_by, 'max-seconds');
  assert.equal(summary.offered, 21);
  assert.equal(records.length, 21);
  assert.ok(records.every((record) => record.ok));
});

test('the stop file (or a signal) ends the offer', async () => {
  let calls = 0;
  const { summary } = await load({ maxTx: 1000 }, {}, () => (calls += 1) > 12);
  assert.equal(summary.stopped_by, 'stop');
  assert.ok(summary.offered > 0 && summary.offered < 13, `${summary.offered}`);
});

test('failures are retried and counted; what could not be acknowledged is recorded as failed', async () => {
  // Peer 1 is down for everything, and c2 on every peer: on c1 the retry of a submission that began
  // on peer 1 succeeds on peer 0; on c2 every create fails, so no update is ever offered there.
  const fault = (stage, call) => (stage === 'endorse' && (call.peer === 1 || call.channel === 'c2') ? new FakeGatewayError('14 UNAVAILABLE') : undefined);
  const { summary, records } = await load({ maxTx: 20, retries: 1, retryDelay: 0.2 }, { fault });
  assert.equal(summary.offered, 20);
  assert.equal(summary.failed, 10);
  assert.equal(summary.acknowledged, 10);
  assert.ok(records.filter((record) => record.channel === 'c2').every((record) => !record.ok && record.attempts === 2 && record.fn === 'CreateAsset'));
  const retried = records.filter((record) => record.channel === 'c1' && record.attempts === 2);
  assert.ok(retried.length > 0 && retried.every((record) => record.ok && record.first_attempt_error === 'FakeGatewayError: 14 UNAVAILABLE'));
  assert.equal(retried.length, 5); // each channel's submissions begin on peer 0 and peer 1 in turn
  assert.equal(summary.first_attempt_failures, 10 + 5);
});
