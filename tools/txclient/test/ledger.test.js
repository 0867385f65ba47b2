'use strict';
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { acknowledged, tally, runLedger } = require('../lib/ledger');
const { blockPort, FakeGatewayError } = require('./fakes');

const rec = (channel, txId, block, ok = true) => ({ channel, tx_id: ok ? txId : null, tx_ids: [txId], ok, block_number: block });
const OPTIONS = { peer: ['peerA:7051', 'peerB:7051'], channel: ['c1'], idleSeconds: 5, maxSeconds: 30 };
const RECORDS = [rec('c1', 'a', 1), rec('c1', 'b', 2), rec('c1', 'c', 3)];
const CHAIN = [{ number: 0, txs: [''] }, { number: 1, txs: ['a'] }, { number: 2, txs: ['b'] }, { number: 3, txs: ['c'] }];
const byPeer = (result) => [result.peer, result.channel, result.present, result.missing, result.stopped_by];

test('expected per --channel: the acknowledged IDs and the block of the last one', () => {
  const records = [rec('c1', 'a', 4), rec('c1', 'x', 9, false), rec('c1', 'b', 2), rec('c2', 'c', 5), rec('c3', 'd', 1), rec('c3', 'e', 1)];
  const { channels, notChecked } = acknowledged(records, ['c1', 'c2', 'c4']);
  assert.deepEqual([...channels].map(([channel, entry]) => [channel, [...entry.txIds], entry.lastBlock]), [
    ['c1', ['a', 'b'], 4],
    ['c2', ['c'], 5],
    ['c4', [], -1],
  ]);
  assert.deepEqual(notChecked, { c3: 2 });
  // A record without its block: the last block is unknown, the read cannot stop at it.
  assert.equal(acknowledged([rec('c1', 'a', 4), rec('c1', 'b', null)], ['c1']).channels.get('c1').lastBlock, null);
});

test('the first occurrence of an ID decides: a later DUPLICATE_TXID does not undo VALID, nor a later VALID an invalid one', () => {
  const seen = tally(new Set(['a', 'b', 'c']));
  seen.add({ number: 1, transactions: [{ txId: 'a', code: 0, name: 'VALID' }, { txId: 'b', code: 11, name: 'MVCC_READ_CONFLICT' }] });
  seen.add({ number: 2, transactions: [{ txId: 'a', code: 9, name: 'DUPLICATE_TXID' }, { txId: 'b', code: 0, name: 'VALID' }, { txId: 'z', code: 0, name: 'VALID' }] });
  assert.equal(seen.complete(), false);
  assert.deepEqual(seen.outcome(), { present: 1, missing: ['c'], invalid: [{ tx_id: 'b', code: 11, status: 'MVCC_READ_CONFLICT', block: 1 }] });
  seen.add({ number: 3, transactions: [{ txId: 'c', code: 0, name: 'VALID' }] });
  assert.equal(seen.complete(), true);
});

test('all present on every peer: ok, each peer read on its own stream, which stops at the last one needed and is closed', async () => {
  const later = { number: 4, txs: ['other'] };
  const port = blockPort([{ c1: [...CHAIN, later] }, { c1: [...CHAIN, later] }]);
  const summary = await runLedger(port, RECORDS, OPTIONS);
  assert.equal(summary.ok, true);
  assert.equal(summary.broke_off, false);
  assert.deepEqual(summary.results.map(byPeer), [
    ['peerA:7051', 'c1', 3, [], 'complete'],
    ['peerB:7051', 'c1', 3, [], 'complete'],
  ]);
  assert.deepEqual([summary.results[0].blocks_read, summary.results[0].last_block, summary.results[0].expected], [4, 3, 3]);
  assert.deepEqual(summary.totals, { expected: 6, present: 6, missing: 0, invalid: 0, errors: 0 });
  assert.deepEqual(port.opened, [{ peer: 0, channel: 'c1' }, { peer: 1, channel: 'c1' }]);
  assert.equal(port.closed, 2);
  assert.equal(port.reads, 8); // block 4 was never asked for
});

test('a transaction only on peer A is missing for peer B (named), found as soon as B passed its block', async () => {
  const withoutB = CHAIN.map((block) => (block.number === 2 ? { number: 2, txs: [] } : block));
  const port = blockPort([{ c1: CHAIN }, { c1: withoutB }]);
  const summary = await runLedger(port, RECORDS, OPTIONS);
  assert.equal(summary.ok, false);
  assert.equal(summary.broke_off, false);
  assert.deepEqual(summary.results.map(byPeer), [
    ['peerA:7051', 'c1', 3, [], 'complete'],
    ['peerB:7051', 'c1', 2, ['b'], 'last-block'],
  ]);
  assert.equal(summary.results[1].missing_count, 1);
  assert.deepEqual(summary.totals, { expected: 6, present: 5, missing: 1, invalid: 0, errors: 0 });
  assert.ok(summary.elapsed < 1, `${summary.elapsed} s: it did not wait for --idle-seconds`);
});

test('present with another validation code: counted invalid, not present', async () => {
  const invalid = CHAIN.map((block) => (block.number === 3 ? { number: 3, txs: [['c', 'MVCC_READ_CONFLICT']] } : block));
  const port = blockPort([{ c1: CHAIN }, { c1: invalid }]);
  const summary = await runLedger(port, RECORDS, OPTIONS);
  assert.equal(summary.ok, false);
  const peerB = summary.results[1];
  assert.deepEqual([peerB.present, peerB.missing, peerB.invalid_count], [2, [], 1]);
  assert.deepEqual(peerB.invalid, [{ tx_id: 'c', code: 11, status: 'MVCC_READ_CONFLICT', block: 3 }]);
  assert.deepEqual(summary.totals, { expected: 6, present: 5, missing: 0, invalid: 1, errors: 0 });
});

test('a peer whose ledger ends before the last block: the read stops after --idle-seconds without a block', async () => {
  const port = blockPort([{ c1: CHAIN }, { c1: CHAIN.slice(0, 2) }]);
  const began = Date.now();
  const summary = await runLedger(port, RECORDS, { ...OPTIONS, idleSeconds: 0.3 });
  const waited = Date.now() - began;
  assert.ok(waited >= 280 && waited < 2000, `${waited} ms`);
  assert.deepEqual(summary.results.map(byPeer), [
    ['peerA:7051', 'c1', 3, [], 'complete'],
    ['peerB:7051', 'c1', 1, ['b', 'c'], 'idle'],
  ]);
  assert.deepEqual([summary.results[1].blocks_read, summary.results[1].last_block], [2, 1]);
  assert.deepEqual([summary.ok, port.closed], [false, 2]);
});

test('--max-seconds bounds the whole check, before --idle-seconds', async () => {
  const port = blockPort([{ c1: CHAIN.slice(0, 2) }, { c1: [] }]);
  const began = Date.now();
  const summary = await runLedger(port, RECORDS, { ...OPTIONS, idleSeconds: 30, maxSeconds: 0.3 });
  const waited = Date.now() - began;
  assert.ok(waited >= 280 && waited < 2000, `${waited} ms`);
  assert.deepEqual(summary.results.map((result) => [result.stopped_by, result.blocks_read, result.missing_count]), [
    ['max-seconds', 2, 2],
    ['max-seconds', 0, 3],
  ]);
  assert.equal(port.closed, 2);
});

test('a stream that breaks off: the error, broke_off (exit 2), the stream closed all the same', async () => {
  const port = blockPort([{ c1: CHAIN }, { c1: [CHAIN[0], new FakeGatewayError('14 UNAVAILABLE: connection dropped')] }]);
  const summary = await runLedger(port, RECORDS, OPTIONS);
  assert.deepEqual([summary.ok, summary.broke_off, summary.totals.errors], [false, true, 1]);
  assert.deepEqual([summary.results[1].stopped_by, summary.results[1].error], ['error', 'FakeGatewayError: 14 UNAVAILABLE: connection dropped']);
  assert.equal(summary.results[0].error, null);
  assert.equal(port.closed, 2);
});

test('missing IDs: 20 listed, all counted; a channel with nothing acknowledged is not read', async () => {
  const records = Array.from({ length: 25 }, (_, index) => rec('c1', `t${index}`, 1));
  const port = blockPort([{ c1: [{ number: 1, txs: ['other'] }] }]);
  const summary = await runLedger(port, records, { ...OPTIONS, peer: ['peerA:7051'], channel: ['c1', 'c2'] });
  const [c1, c2] = summary.results;
  assert.deepEqual([c1.missing.length, c1.missing[0], c1.missing_count, c1.stopped_by], [20, 't0', 25, 'last-block']);
  assert.deepEqual([c2.expected, c2.blocks_read, c2.stopped_by], [0, 0, 'complete']);
  assert.deepEqual(port.opened, [{ peer: 0, channel: 'c1' }]);
  assert.deepEqual(summary.acknowledged, { c1: 25, c2: 0 });
});
