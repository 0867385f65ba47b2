'use strict';
// lib/fabric.js and the command line for real, against stand-in Gateway peers (test/fake-gateway.js):
// TLS with a host name override, signatures, the per-call deadlines, a resubmission through another
// peer, the records, verify, smoke, the stop file and the exit codes. Needs node_modules (npm ci).

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before, test } = require('node:test');
const { promisify } = require('node:util');

const run = promisify(execFile);
const CLIENT = path.join(__dirname, '..', 'txclient.js');
const HOST = 'peer0.org1.example.com';
let installed = true;
try {
  require.resolve('@hyperledger/fabric-gateway');
} catch {
  installed = false;
}
const skip = installed ? false : 'node_modules missing: run npm ci in tools/txclient';

let dir;
let state;
let peers;
let connection;

before(async () => {
  if (!installed) return;
  const { tlsMaterial, mspDirectory, channelState, startPeer } = require('./fake-gateway');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'txclient-'));
  const tls = tlsMaterial(dir, HOST);
  state = channelState(mspDirectory(path.join(dir, 'msp')));
  peers = [await startPeer(state, 'A', tls), await startPeer(state, 'B', tls)];
  connection = ['--msp-id', 'Org1MSP', '--cert', path.join(dir, 'msp'), '--tls-ca', tls.cert, '--chaincode', 'assets'];
  for (const { port } of peers) connection.push('--peer', `127.0.0.1:${port}`, '--hostname-override', HOST);
});

after(() => {
  if (!installed) return;
  for (const server of peers) server.close();
  fs.rmSync(dir, { recursive: true });
});

async function client(...args) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLIENT, ...args], { timeout: 30000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (err.code === undefined || typeof err.code === 'string') throw err;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const lastLine = (stdout) => JSON.parse(stdout.trim().split('\n').pop());
const readLines = (file) => fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));

test('the port: endorsed through one peer, submitted and its status read through another', { skip }, async () => {
  const { parseOptions } = require('../lib/options');
  const { openPort } = require('../lib/fabric');
  const port = openPort(parseOptions(['smoke', ...connection, '--channel', 'c0']));
  try {
    state.log.length = 0;
    const transaction = await port.endorse(0, 'c0', 'CreateAsset', ['p1', 'me', '5']);
    const status = await port.status(await port.submit(1, transaction));
    assert.deepEqual(status, { code: 0, name: 'VALID', successful: true, blockNumber: state.committed.get(transaction.txId) });
    assert.deepEqual(state.log, [{ method: 'endorse', peer: 'A' }, { method: 'submit', peer: 'B' }, { method: 'commitStatus', peer: 'B' }]);
    assert.equal(await port.evaluate(1, 'c0', 'ReadAsset', ['p1']), '{"id":"p1","owner":"me","value":"5"}');
  } finally {
    port.close();
  }
});

test('the port: a commit status that never comes ends at --commit-timeout', { skip }, async () => {
  const { parseOptions } = require('../lib/options');
  const { openPort } = require('../lib/fabric');
  const port = openPort(parseOptions(['smoke', ...connection, '--channel', 'c0', '--commit-timeout', '0.5']));
  state.hooks.commitStatus = () => 'hang';
  try {
    const commit = await port.submit(0, await port.endorse(0, 'c0', 'CreateAsset', ['p2', 'me', '6']));
    const began = Date.now();
    await assert.rejects(port.status(commit), (err) => err.name === 'CommitStatusError' && /DEADLINE_EXCEEDED/.test(err.message));
    const waited = Date.now() - began;
    assert.ok(waited >= 450 && waited < 3000, `${waited} ms`);
  } finally {
    delete state.hooks.commitStatus;
    port.close();
  }
});

test('load, verify, smoke from the command line; retried submissions reuse their transaction', { skip }, async () => {
  const out = path.join(dir, 'load.jsonl');
  let submits = 0;
  state.hooks.submit = (request, name) => ((submits += 1) % 5 === 0 && name === 'A' ? Object.assign(new Error('peer A is restarting'), { code: 14 }) : undefined);
  const loadArgs = ['--channel', 'c1', '--channel', 'c2', '--rate', '100', '--max-tx', '30', '--max-seconds', '20', '--retry-delay', '0.1'];
  const load = await client('load', ...connection, ...loadArgs, '--key-prefix', 'cli', '--out', out);
  delete state.hooks.submit;
  assert.equal(load.code, 0, load.stderr);
  const summary = lastLine(load.stdout);
  assert.deepEqual([summary.offered, summary.acknowledged, summary.failed, summary.stopped_by], [30, 30, 0, 'max-tx']);
  assert.ok(summary.first_attempt_failures > 0 && summary.achieved_rate > 30, load.stdout);
  const records = readLines(out);
  assert.equal(records.length, 30);
  const retried = records.filter((record) => record.attempts > 1);
  assert.equal(retried.length, summary.first_attempt_failures);
  for (const record of retried) {
    assert.match(record.first_attempt_error, /^SubmitError: 14 UNAVAILABLE: peer A is restarting/);
    assert.deepEqual(record.tx_ids, [record.tx_id]); // the same transaction, submitted again
  }
  for (const record of records) {
    assert.equal(state.committed.get(record.tx_id), record.block_number);
    assert.ok(record.acknowledged >= record.submitted && record.status === 'VALID');
  }

  const verified = await client('verify', ...connection, '--channel', 'c1', '--out', out, '--summary', path.join(dir, 'verify.json'));
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  const keys = new Set(records.map((record) => `${record.channel}/${record.key}`)).size;
  assert.deepEqual(lastLine(verified.stdout), { ...JSON.parse(fs.readFileSync(path.join(dir, 'verify.json'), 'utf8')) });
  assert.deepEqual(lastLine(verified.stdout), { mode: 'verify', records: 30, checked: keys, matched: keys, mismatches: [], missing: [], errors: [], ok: true, bad_lines: 0 });

  const changed = records.find((record) => record.fn === 'UpdateAsset');
  state.ledger.get(`${changed.channel}\n${changed.key}`).value = 'tampered';
  const mismatch = await client('verify', ...connection, '--channel', 'c1', '--out', out);
  assert.equal(mismatch.code, 1);
  assert.deepEqual(lastLine(mismatch.stdout).mismatches.map((problem) => [problem.key, problem.expected, problem.actual]), [[changed.key, changed.value, 'tampered']]);

  const smoke = await client('smoke', ...connection, '--channel', 'c1', '--channel', 'c2', '--key-prefix', 'ops');
  assert.equal(smoke.code, 0, smoke.stdout + smoke.stderr);
  assert.deepEqual(lastLine(smoke.stdout).channels.map((check) => [check.channel, check.ok]), [['c1', true], ['c2', true]]);
  const again = await client('smoke', ...connection, '--channel', 'c1', '--key-prefix', 'ops', '--retries', '0');
  assert.equal(again.code, 1); // the key exists already: the create is refused
  assert.match(lastLine(again.stdout).channels[0].error, /EndorseError: 2 UNKNOWN: chaincode response 500, CreateAsset\(ops-smoke\) refused/);
});

test('the stop file ends a load (here: before its first submission); its summary says so', { skip }, async () => {
  const stopFile = path.join(dir, 'stop');
  fs.writeFileSync(stopFile, '');
  const out = path.join(dir, 'stop.jsonl');
  const { code, stdout } = await client('load', ...connection, '--channel', 'c1', '--max-seconds', '30', '--stop-file', stopFile, '--out', out);
  assert.equal(code, 0);
  assert.deepEqual([lastLine(stdout).stopped_by, lastLine(stdout).offered, fs.readFileSync(out, 'utf8')], ['stop', 0, '']);
});

test('exit codes: --help 0, bad arguments 2, unreadable identity 2', { skip }, async () => {
  const help = await client('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: txclient.js MODE/);
  const bad = await client('load', ...connection, '--channel', 'c1');
  assert.deepEqual([bad.code, bad.stderr], [2, 'txclient: missing: --out\nsee --help\n']);
  const noCert = await client('smoke', ...connection.map((arg) => (arg.endsWith('msp') ? '/nonexistent/msp' : arg)), '--channel', 'c1');
  assert.equal(noCert.code, 2);
  assert.match(noCert.stderr, /ENOENT.*\/nonexistent\/msp/);
});

// The ledger check: each peer's filtered blocks through its own connection (the stand-in's Deliver).
const written = (name, records) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  return file;
};
const acked = (channel, txId, block) => ({ channel, key: txId, tx_id: txId, tx_ids: [txId], ok: true, block_number: block });
const noChaincode = () => connection.filter((arg, index) => arg !== '--chaincode' && connection[index - 1] !== '--chaincode');
const onPeers = (summary) => summary.results.map((result) => [result.peer.endsWith(`:${peers[0].port}`) ? 'A' : 'B', result.channel, result.present, result.missing, result.invalid.map((bad) => [bad.tx_id, bad.status])]);

test('ledger after a load: every acknowledged transaction in each peer\'s blocks, each peer on its own stream', { skip }, async () => {
  const out = path.join(dir, 'ledger-load.jsonl');
  const load = await client('load', ...connection, '--channel', 'l3', '--channel', 'l4', '--rate', '100', '--max-tx', '10', '--key-prefix', 'led', '--out', out);
  assert.equal(load.code, 0, load.stderr);
  state.log.length = 0;
  const summaryFile = path.join(dir, 'ledger.json');
  const ledger = await client('ledger', ...noChaincode(), '--channel', 'l3', '--channel', 'l4', '--out', out, '--summary', summaryFile);
  assert.equal(ledger.code, 0, ledger.stdout + ledger.stderr);
  const summary = lastLine(ledger.stdout);
  assert.deepEqual(summary, JSON.parse(fs.readFileSync(summaryFile, 'utf8')));
  assert.deepEqual(onPeers(summary), [['A', 'l3', 5, [], []], ['A', 'l4', 5, [], []], ['B', 'l3', 5, [], []], ['B', 'l4', 5, [], []]]);
  assert.deepEqual(summary.results.map((result) => result.stopped_by), ['complete', 'complete', 'complete', 'complete']);
  assert.deepEqual(summary.totals, { expected: 20, present: 20, missing: 0, invalid: 0, errors: 0 });
  assert.deepEqual([summary.ok, summary.broke_off, summary.records, summary.bad_lines], [true, false, 10, 0]);
  const lastBlock = Math.max(...readLines(out).filter((record) => record.channel === 'l3').map((record) => record.block_number));
  assert.equal(summary.results[0].last_block, lastBlock);
  assert.deepEqual(state.log.map((entry) => entry.method + entry.peer).sort(), ['deliverFilteredA', 'deliverFilteredA', 'deliverFilteredB', 'deliverFilteredB']);
});

test('ledger: a transaction only on peer A is missing for peer B; another code than VALID is invalid; exit 1', { skip }, async () => {
  const { appendBlock } = require('./fake-gateway');
  const onlyA = appendBlock(state, 'l1', [{ txId: 'only-on-a', code: 0 }]);
  const mvcc = appendBlock(state, 'l1', [{ txId: 'mvcc-on-a', code: 0 }]);
  state.hooks.deliverBlock = (block, name) => ({
    ...block,
    transactions: block.transactions
      .filter((tx) => !(name === 'B' && tx.txId === 'only-on-a'))
      .map((tx) => (name === 'A' && tx.txId === 'mvcc-on-a' ? { ...tx, code: 11 } : tx)),
  });
  try {
    const out = written('ledger-missing.jsonl', [acked('l1', 'only-on-a', onlyA), acked('l1', 'mvcc-on-a', mvcc)]);
    const ledger = await client('ledger', ...connection, '--channel', 'l1', '--out', out);
    assert.equal(ledger.code, 1, ledger.stdout + ledger.stderr);
    const summary = lastLine(ledger.stdout);
    assert.deepEqual(onPeers(summary), [['A', 'l1', 1, [], [['mvcc-on-a', 'MVCC_READ_CONFLICT']]], ['B', 'l1', 1, ['only-on-a'], []]]);
    assert.deepEqual(summary.results[0].invalid, [{ tx_id: 'mvcc-on-a', code: 11, status: 'MVCC_READ_CONFLICT', block: mvcc }]);
    assert.equal(summary.results[1].stopped_by, 'last-block');
    assert.deepEqual(summary.totals, { expected: 4, present: 2, missing: 1, invalid: 1, errors: 0 });
  } finally {
    delete state.hooks.deliverBlock;
  }
});

test('ledger: a transaction no block holds yet ends the read after --idle-seconds', { skip }, async () => {
  const out = written('ledger-idle.jsonl', [acked('l2', 'not-yet', state.blocks + 1000)]);
  const began = Date.now();
  const ledger = await client('ledger', ...connection, '--channel', 'l2', '--out', out, '--idle-seconds', '1');
  const waited = Date.now() - began;
  assert.equal(ledger.code, 1, ledger.stdout + ledger.stderr);
  const summary = lastLine(ledger.stdout);
  assert.deepEqual(summary.results.map((result) => [result.stopped_by, result.missing, result.blocks_read]), [['idle', ['not-yet'], 0], ['idle', ['not-yet'], 0]]);
  assert.ok(summary.elapsed >= 1 && waited < 10000, `${summary.elapsed} s, ${waited} ms`);
});

test('ledger in-process: a block committed while the peers are read is seen; the streams end when done', { skip }, async () => {
  const { parseOptions } = require('../lib/options');
  const { openPort } = require('../lib/fabric');
  const { runLedger } = require('../lib/ledger');
  const { appendBlock } = require('./fake-gateway');
  const options = parseOptions(['ledger', ...connection, '--channel', 'l5', '--out', 'unused', '--idle-seconds', '3']);
  const port = openPort(options);
  try {
    const txId = 'committed-later';
    setTimeout(() => appendBlock(state, 'l5', [{ txId, code: 0 }]), 300);
    const summary = await runLedger(port, [acked('l5', txId, state.blocks + 1)], options);
    assert.deepEqual(summary.results.map((result) => [result.stopped_by, result.present, result.blocks_read]), [['complete', 1, 1], ['complete', 1, 1]]);
    assert.ok(summary.elapsed >= 0.25 && summary.elapsed < 3, `${summary.elapsed} s`);
    // Closed by the check itself, not by port.close(): the stand-in sees both streams cancelled.
    for (let waited = 0; state.streams.size && waited < 2000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(state.streams.size, 0);
  } finally {
    port.close();
  }
});

test('ledger: a peer that refuses the stream (404), or whose stream breaks off, is an error: exit 2', { skip }, async () => {
  const { appendBlock } = require('./fake-gateway');
  const block = appendBlock(state, 'l6', [{ txId: 'on-l6', code: 0 }]);
  state.hooks.deliverFiltered = (seek, name) => {
    if (name === 'B' && seek.channel === 'l6') return 404;
    if (name === 'A' && seek.channel === 'l7') return Object.assign(new Error('peer A is restarting'), { code: 14 });
    return undefined;
  };
  try {
    const out = written('ledger-broken.jsonl', [acked('l6', 'on-l6', block), acked('l7', 'on-l7', 1)]);
    const ledger = await client('ledger', ...connection, '--channel', 'l6', '--channel', 'l7', '--out', out, '--idle-seconds', '1');
    assert.equal(ledger.code, 2, ledger.stdout + ledger.stderr);
    const summary = lastLine(ledger.stdout);
    assert.deepEqual([summary.ok, summary.broke_off, summary.totals.errors], [false, true, 2]);
    const errors = summary.results.map((result) => [result.channel, result.stopped_by, result.error]);
    assert.deepEqual(errors[0], ['l6', 'complete', null]);
    assert.match(errors[1][2], /14 UNAVAILABLE: peer A is restarting/);
    assert.match(errors[2][2], /Unexpected status response: 404/);
    assert.deepEqual([...errors[3], summary.results[3].missing], ['l7', 'idle', null, ['on-l7']]); // B has no block of l7
  } finally {
    delete state.hooks.deliverFiltered;
  }
  const unreadable = await client('ledger', ...connection, '--channel', 'l6', '--out', path.join(dir, 'absent.jsonl'));
  assert.equal(unreadable.code, 2);
  assert.match(unreadable.stderr, /ENOENT/);
  const noOut = await client('ledger', ...connection, '--channel', 'l6');
  assert.deepEqual([noOut.code, noOut.stderr], [2, 'txclient: missing: --out\nsee --help\n']);
});
