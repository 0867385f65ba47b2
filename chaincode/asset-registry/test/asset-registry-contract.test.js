'use strict';

// Unit tests of the contract's logic on the in-memory fake stub (test/fake-stub.js).
// Needs fabric-contract-api on NODE_PATH (the unpacked runtime artifact), Node 18 or later.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { Contract } = require('fabric-contract-api');
const { AssetRegistryContract, contracts } = require('..');
const { FakeLedger } = require('./fake-stub');
const pkg = require('../package.json');

const contract = new AssetRegistryContract();

// Invokes one transaction function as the shim does: a fresh context around a fresh stub.
// Resolves to {result, writes, calls}; a rejected transaction commits nothing.
function invoke(ledger, fn, ...args) {
  return ledger.transact(async (stub) => {
    const ctx = contract.createContext();
    ctx.setChaincodeStub(stub);
    return contract[fn](ctx, ...args);
  });
}

async function result(ledger, fn, ...args) {
  return (await invoke(ledger, fn, ...args)).result;
}

// Runs a transaction that must fail; returns the stub's calls so tests can check nothing was written.
async function refused(ledger, pattern, fn, ...args) {
  let calls;
  await assert.rejects(
    ledger.transact(async (stub) => {
      calls = stub.calls;
      const ctx = contract.createContext();
      ctx.setChaincodeStub(stub);
      return contract[fn](ctx, ...args);
    }),
    pattern,
  );
  assert.deepEqual(
    calls.filter(([name]) => name === 'putState' || name === 'deleteState'),
    [],
    `${fn} wrote although it failed`,
  );
  return calls;
}

function stored(ledger, id) {
  const bytes = ledger.state.get(`asset.${id}`);
  return bytes && bytes.toString('utf8');
}

test('the module exports one contract class, the default contract, named AssetRegistry', () => {
  assert.deepEqual(contracts, [AssetRegistryContract]);
  assert.ok(contract instanceof Contract);
  assert.equal(contract.getName(), 'AssetRegistry');
});

test('CreateAsset writes one canonical record and returns it', async () => {
  const ledger = new FakeLedger();
  const { result: created, writes } = await invoke(ledger, 'CreateAsset', 'A1', 'alice', '100');
  const record = '{"docType":"asset","id":"A1","owner":"alice","value":100}';
  assert.equal(created, record);
  assert.deepEqual([...writes.keys()], ['asset.A1']);
  assert.equal(stored(ledger, 'A1'), record);
  assert.equal(await result(ledger, 'ReadAsset', 'A1'), record);
});

test('CreateAsset refuses an existing asset and leaves it unchanged', async () => {
  const ledger = new FakeLedger();
  await invoke(ledger, 'CreateAsset', 'A1', 'alice', '100');
  await refused(ledger, /^Error: asset A1 already exists$/, 'CreateAsset', 'A1', 'bob', '5');
  assert.equal(stored(ledger, 'A1'), '{"docType":"asset","id":"A1","owner":"alice","value":100}');
});

test('CreateAsset validates every argument before touching the ledger', async () => {
  const ledger = new FakeLedger();
  await refused(ledger, /asset id 'A 1' is invalid/, 'CreateAsset', 'A 1', 'alice', '1');
  await refused(ledger, /owner is required/, 'CreateAsset', 'A1', '', '1');
  await refused(ledger, /owner 'alice ' must not begin or end with white space/, 'CreateAsset', 'A1', 'alice ', '1');
  await refused(ledger, /value '-1' is invalid/, 'CreateAsset', 'A1', 'alice', '-1');
  await refused(ledger, /value is required/, 'CreateAsset', 'A1', 'alice');
  assert.equal(ledger.state.size, 0);
});

test('ReadAsset and AssetExists on absent and present assets', async () => {
  const ledger = new FakeLedger();
  assert.equal(await result(ledger, 'AssetExists', 'A1'), false);
  await refused(ledger, /^Error: asset A1 does not exist$/, 'ReadAsset', 'A1');
  await invoke(ledger, 'CreateAsset', 'A1', 'alice', '7');
  assert.equal(await result(ledger, 'AssetExists', 'A1'), true);
  assert.equal(await result(ledger, 'AssetExists', 'A2'), false);
  await refused(ledger, /asset id '' is invalid|asset id is required/, 'AssetExists', '');
});

test('UpdateAsset changes the value only', async () => {
  const ledger = new FakeLedger();
  await invoke(ledger, 'CreateAsset', 'A1', 'alice', '7');
  assert.equal(await result(ledger, 'UpdateAsset', 'A1', '8'), '{"docType":"asset","id":"A1","owner":"alice","value":8}');
  assert.equal(stored(ledger, 'A1'), '{"docType":"asset","id":"A1","owner":"alice","value":8}');
  await refused(ledger, /^Error: asset A2 does not exist$/, 'UpdateAsset', 'A2', '8');
  await refused(ledger, /value '8.5' is invalid/, 'UpdateAsset', 'A1', '8.5');
  assert.equal(stored(ledger, 'A1'), '{"docType":"asset","id":"A1","owner":"alice","value":8}');
});

test('TransferAsset changes the owner only, and refuses a transfer to the current owner', async () => {
  const ledger = new FakeLedger();
  await invoke(ledger, 'CreateAsset', 'A1', 'alice', '7');
  assert.equal(await result(ledger, 'TransferAsset', 'A1', 'bob'), '{"docType":"asset","id":"A1","owner":"bob","value":7}');
  assert.equal(stored(ledger, 'A1'), '{"docType":"asset","id":"A1","owner":"bob","value":7}');
  await refused(ledger, /^Error: asset A1 is already owned by bob$/, 'TransferAsset', 'A1', 'bob');
  await refused(ledger, /^Error: asset A9 does not exist$/, 'TransferAsset', 'A9', 'carol');
  await refused(ledger, /control characters/, 'TransferAsset', 'A1', 'car\tol');
});

test('DeleteAsset removes the asset and returns what it was', async () => {
  const ledger = new FakeLedger();
  await invoke(ledger, 'CreateAsset', 'A1', 'alice', '7');
  await invoke(ledger, 'CreateAsset', 'A2', 'alice', '9');
  const { result: deleted, writes } = await invoke(ledger, 'DeleteAsset', 'A1');
  assert.equal(deleted, '{"docType":"asset","id":"A1","owner":"alice","value":7}');
  assert.deepEqual([...writes.entries()], [['asset.A1', null]]);
  assert.equal(await result(ledger, 'AssetExists', 'A1'), false);
  assert.equal(await result(ledger, 'AssetExists', 'A2'), true);
  await refused(ledger, /^Error: asset A1 does not exist$/, 'DeleteAsset', 'A1');
  // Deleted, it can be created again.
  await invoke(ledger, 'CreateAsset', 'A1', 'bob', '1');
  assert.equal(stored(ledger, 'A1'), '{"docType":"asset","id":"A1","owner":"bob","value":1}');
});

test('a record of another shape under an asset key is reported, not trusted', async () => {
  const ledger = new FakeLedger();
  ledger.state.set('asset.A1', Buffer.from('{"docType":"asset","id":"B7","owner":"x","value":1}'));
  await refused(ledger, /the record at key 'asset.A1' names another asset id 'B7'/, 'TransferAsset', 'A1', 'bob');
});

// Fills a ledger with assets of two owners, created out of id order, plus keys that are not assets.
async function populated(options) {
  const ledger = new FakeLedger(options);
  for (const [id, owner, value] of [
    ['C3', 'alice', '3'],
    ['A1', 'alice', '1'],
    ['B2', 'bob', '2'],
    ['D4', 'alice', '4'],
    ['E5', 'bob', '5'],
  ]) {
    await invoke(ledger, 'CreateAsset', id, owner, value);
  }
  await invoke(ledger, 'DeleteAsset', 'D4');
  // Neighbours of the asset key range, and a look-alike document outside it.
  ledger.state.set('asset', Buffer.from('{"docType":"asset","id":"","owner":"alice","value":0}'));
  ledger.state.set('asset/Z9', Buffer.from('{"docType":"asset","id":"Z9","owner":"alice","value":9}'));
  ledger.state.set('config', Buffer.from('{"owner":"alice"}'));
  return ledger;
}

const ALICE = '[{"docType":"asset","id":"A1","owner":"alice","value":1},{"docType":"asset","id":"C3","owner":"alice","value":3}]';

test('ListAssetsByOwner on goleveldb: the rich query is refused, a range query over the asset keys answers', async () => {
  const ledger = await populated({ stateDatabase: 'goleveldb' });
  const { result: listed, calls, writes } = await invoke(ledger, 'ListAssetsByOwner', 'alice');
  assert.equal(listed, ALICE);
  assert.deepEqual(
    calls.map(([name]) => name),
    ['getQueryResult', 'getStateByRange'],
  );
  assert.deepEqual(calls[1], ['getStateByRange', 'asset.', 'asset/']);
  assert.equal(writes.size, 0);
  assert.equal(await result(ledger, 'ListAssetsByOwner', 'nobody'), '[]');
});

test('ListAssetsByOwner on CouchDB: a rich query on docType and owner, no range scan', async () => {
  const ledger = await populated({ stateDatabase: 'couchdb', readOrder: 'reversed', queryOrder: 'insertion' });
  const { result: listed, calls, writes } = await invoke(ledger, 'ListAssetsByOwner', 'alice');
  // Ordered by id although the query answered C3 before A1; the look-alike documents outside the
  // asset keys match the selector too, but they are not assets.
  assert.equal(listed, ALICE);
  assert.deepEqual(
    calls.map(([name]) => name),
    ['getQueryResult'],
  );
  assert.deepEqual(JSON.parse(calls[0][1]).selector, { docType: 'asset', owner: 'alice' });
  assert.equal(writes.size, 0);
  assert.equal(await result(ledger, 'ListAssetsByOwner', 'bob'), '[{"docType":"asset","id":"B2","owner":"bob","value":2},{"docType":"asset","id":"E5","owner":"bob","value":5}]');
});

test('ListAssetsByOwner passes on state database errors other than "no rich queries"', async () => {
  const ledger = await populated({ stateDatabase: 'couchdb', failRichQueries: 'couchdb: connection refused' });
  await assert.rejects(invoke(ledger, 'ListAssetsByOwner', 'alice'), /^Error: couchdb: connection refused$/);
});

test('ListAssetsByOwner validates the owner', async () => {
  await refused(new FakeLedger(), /owner is required/, 'ListAssetsByOwner', '');
});

test('endorsements match: the same transactions give identical writes and responses on goleveldb and CouchDB peers', async () => {
  const peers = [new FakeLedger({ stateDatabase: 'goleveldb' }), new FakeLedger({ stateDatabase: 'couchdb', readOrder: 'reversed', queryOrder: 'insertion' })];
  const script = [
    ['CreateAsset', 'A1', 'alice', '10'],
    ['CreateAsset', 'B2', 'bob', '20'],
    ['UpdateAsset', 'A1', '11'],
    ['TransferAsset', 'B2', 'alice'],
    ['ReadAsset', 'B2'],
    ['ListAssetsByOwner', 'alice'],
    ['DeleteAsset', 'A1'],
    ['ListAssetsByOwner', 'alice'],
    ['Ping'],
  ];
  for (const [fn, ...args] of script) {
    const [a, b] = await Promise.all(peers.map((ledger) => invoke(ledger, fn, ...args)));
    assert.equal(a.result, b.result, `${fn} responses differ`);
    assert.deepEqual([...a.writes.entries()], [...b.writes.entries()], `${fn} write sets differ`);
  }
  // Repeating the whole script on fresh peers gives the same bytes again (no clock, no randomness).
  const again = new FakeLedger();
  for (const [fn, ...args] of script) await invoke(again, fn, ...args);
  assert.deepEqual([...again.state.entries()], [...peers[0].state.entries()]);
});

test('Ping answers from memory, without reading the ledger', async () => {
  const { result: answer, calls, writes } = await invoke(new FakeLedger(), 'Ping');
  assert.deepEqual(JSON.parse(answer), { chaincode: 'asset-registry', status: 'ok', version: pkg.version });
  assert.deepEqual(calls, []);
  assert.equal(writes.size, 0);
});

test('the CouchDB index in META-INF serves the owner query', () => {
  const dir = path.join(__dirname, '..', 'META-INF', 'statedb', 'couchdb', 'indexes');
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'indexOwner.json'), 'utf8'));
  assert.deepEqual(index.index.fields, ['docType', 'owner']);
  assert.equal(index.type, 'json');
  const { use_index: useIndex } = JSON.parse(require('../lib/assets').ownerQuery('x'));
  assert.deepEqual(useIndex, [`_design/${index.ddoc}`, index.name]);
});
