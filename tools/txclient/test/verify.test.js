'use strict';
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { expectations, compare, mapLimit, runVerify, runSmoke } = require('../lib/verify');
const { fakeClock, fakePort, FakeGatewayError } = require('./fakes');

const record = (key, value, ok, at, extra = {}) => ({
  channel: 'c1', key, value, fn: 'UpdateAsset', ok, tx_id: ok ? `tx-${value}` : null,
  submitted: at - 1, acknowledged: ok ? at : null, ...extra,
});

test('expected value = the last acknowledged write of each key; failed writes are remembered', () => {
  const records = [
    record('a', '3', true, 30), // acknowledged last, written to the file first
    record('a', '1', true, 10),
    record('a', '2', false, 20),
    record('b', '4', false, 40), // never acknowledged: not checked
    record('a', '5', true, 50, { channel: 'c2' }),
  ];
  assert.deepEqual(expectations(records), [
    { channel: 'c1', key: 'a', value: '3', tx_id: 'tx-3', failedValues: ['2'] },
    { channel: 'c2', key: 'a', value: '5', tx_id: 'tx-5', failedValues: [] },
  ]);
});

test('compare: match, mismatch (flagging a failed write that committed after all), missing', () => {
  const entry = { channel: 'c1', key: 'a', value: '3', tx_id: 'tx-3', failedValues: ['4'] };
  assert.equal(compare(entry, { found: true, asset: { id: 'a', owner: 'me', value: '3' } }), null);
  assert.equal(compare(entry, { found: true, asset: { id: 'a', value: 3 } }), null); // a chaincode that keeps numbers
  const base = { channel: 'c1', key: 'a', expected: '3', tx_id: 'tx-3' };
  assert.deepEqual(compare(entry, { found: true, asset: { value: '4' } }), { kind: 'mismatch', ...base, actual: '4', unacknowledged_write: true });
  assert.deepEqual(compare(entry, { found: true, asset: { value: '1' } }), { kind: 'mismatch', ...base, actual: '1', unacknowledged_write: false });
  assert.deepEqual(compare(entry, { found: false }), { kind: 'missing', ...base });
});

test('mapLimit keeps the order and the bound', async () => {
  let running = 0;
  let most = 0;
  const results = await mapLimit([5, 1, 3, 2, 4], 2, async (item) => {
    running += 1;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, item));
    running -= 1;
    return item * 10;
  });
  assert.deepEqual(results, [50, 10, 30, 20, 40]);
  assert.equal(most, 2);
});

function ledgerPort(fault) {
  const clock = fakeClock();
  const port = fakePort({ clock, fault });
  port.ledger.set('c1\na', { id: 'a', owner: 'me', value: '3' });
  port.ledger.set('c1\nb', { id: 'b', owner: 'me', value: '9' });
  return { clock, port };
}

test('verify reads every acknowledged key back: matched, mismatches, missing, errors', async () => {
  const fault = (stage, call) => (call.args[0] === 'd' ? new FakeGatewayError('14 UNAVAILABLE') : undefined);
  const { clock, port } = ledgerPort(fault);
  const records = [record('a', '3', true, 1), record('b', '8', true, 2), record('c', '5', true, 3), record('d', '6', true, 4), record('e', '7', false, 5)];
  const summary = await clock.run(runVerify(port, records, { retries: 1, retryDelay: 1, concurrency: 2 }, { sleep: clock.sleep }));
  assert.deepEqual(summary, {
    mode: 'verify', records: 5, checked: 4, matched: 1, ok: false,
    mismatches: [{ kind: 'mismatch', channel: 'c1', key: 'b', expected: '8', tx_id: 'tx-8', actual: '9', unacknowledged_write: false }],
    missing: [{ kind: 'missing', channel: 'c1', key: 'c', expected: '5', tx_id: 'tx-5' }],
    errors: [{ channel: 'c1', key: 'd', error: 'Error: AssetExists(d) on c1: FakeGatewayError: 14 UNAVAILABLE' }],
  });
});

test('verify of a load that all holds: ok', async () => {
  const { clock, port } = ledgerPort();
  const summary = await clock.run(runVerify(port, [record('a', '3', true, 1), record('b', '9', true, 2)], { retries: 0, retryDelay: 0, concurrency: 4 }, {}));
  assert.deepEqual([summary.ok, summary.checked, summary.matched], [true, 2, 2]);
});

test('smoke: one create and one read per channel, ok only when both reads match', async () => {
  const clock = fakeClock();
  const port = fakePort({ clock });
  const options = { channel: ['c1', 'c2'], keyPrefix: 'tx1', owner: 'ops', retries: 1, retryDelay: 1 };
  const summary = await clock.run(runSmoke(port, options, { now: clock.now, sleep: clock.sleep }));
  assert.equal(summary.ok, true);
  assert.deepEqual(summary.channels.map((check) => [check.channel, check.key, check.ok, check.error]), [
    ['c1', 'tx1-smoke', true, null],
    ['c2', 'tx1-smoke', true, null],
  ]);
  assert.deepEqual(port.ledger.get('c2\ntx1-smoke'), { id: 'tx1-smoke', owner: 'ops', value: String(summary.channels[1].value) });
});

test('smoke fails when a channel does not take the write, or reads back something else', async () => {
  const clock = fakeClock();
  const fault = (stage, call) => (stage === 'endorse' && call.channel === 'c2' ? new FakeGatewayError('chaincode assets not found') : undefined);
  const port = fakePort({ clock, fault });
  const realEvaluate = port.evaluate;
  port.evaluate = async (...args) => (args[2] === 'ReadAsset' ? '{"id":"tx1-smoke","value":"other"}' : realEvaluate(...args));
  const summary = await clock.run(runSmoke(port, { channel: ['c1', 'c2'], keyPrefix: 'tx1', owner: 'ops', retries: 0, retryDelay: 0 }, clock));
  assert.equal(summary.ok, false);
  assert.match(summary.channels[0].error, /^read back: mismatch, other instead of \d+$/);
  assert.equal(summary.channels[1].error, 'FakeGatewayError: chaincode assets not found');
});
