'use strict';

// Unit tests of the pure helpers (lib/assets.js): run with `node --test` (Node 18 or later).
const test = require('node:test');
const assert = require('node:assert/strict');

const assets = require('../lib/assets');

test('valid ids, owners and values are accepted as given', () => {
  for (const id of ['A1', 'a', '0', 'asset-1_x.y', 'Z'.repeat(64)]) assert.equal(assets.validateId(id), id);
  for (const owner of ['alice', 'Org1 Admin', 'Zoë', 'x'.repeat(128)]) assert.equal(assets.validateOwner(owner), owner);
  assert.equal(assets.parseValue('0'), 0);
  assert.equal(assets.parseValue('100'), 100);
  assert.equal(assets.parseValue('9007199254740991'), Number.MAX_SAFE_INTEGER);
});

test('invalid ids are refused, naming the id', () => {
  assert.throws(() => assets.validateId(''), /asset id is required/);
  assert.throws(() => assets.validateId(undefined), /asset id is required/);
  for (const id of [' A1', 'A 1', '-A1', '.A1', 'A/1', 'Ä1', 'Z'.repeat(65), 'A1\n']) {
    assert.throws(() => assets.validateId(id), new RegExp(`asset id '${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is invalid`));
  }
});

test('invalid owners are refused', () => {
  assert.throws(() => assets.validateOwner(''), /owner is required/);
  assert.throws(() => assets.validateOwner(42), /owner is required/);
  assert.throws(() => assets.validateOwner(' bob'), /must not begin or end with white space/);
  assert.throws(() => assets.validateOwner('bob '), /must not begin or end with white space/);
  assert.throws(() => assets.validateOwner('bo\nb'), /control characters/);
  assert.throws(() => assets.validateOwner('bo\u0085b'), /control characters/);
  assert.throws(() => assets.validateOwner('x'.repeat(129)), /longer than 128/);
});

test('invalid values are refused', () => {
  assert.throws(() => assets.parseValue(''), /value is required/);
  for (const value of ['-1', '01', '1.5', '1e3', ' 1', '1 ', '0x10', 'ten']) {
    assert.throws(() => assets.parseValue(value), /is invalid: a whole number/);
  }
  assert.throws(() => assets.parseValue('9007199254740992'), /too large/);
});

test('a record has one encoding: fixed key order, no white space', () => {
  assert.equal(assets.encodeAsset({ value: 5, owner: 'bob', id: 'B2' }), '{"docType":"asset","id":"B2","owner":"bob","value":5}');
  // Extra fields never reach the ledger.
  assert.equal(assets.encodeAsset({ id: 'B2', owner: 'bob', value: 5, note: 'x' }), '{"docType":"asset","id":"B2","owner":"bob","value":5}');
});

test('decoding accepts any key order and refuses what is not an asset record', () => {
  const key = assets.assetKey('B2');
  assert.deepEqual(assets.decodeAsset(key, Buffer.from('{"value":5,"owner":"bob","id":"B2","docType":"asset"}')), { id: 'B2', owner: 'bob', value: 5 });
  assert.throws(() => assets.decodeAsset(key, Buffer.from('not json')), /is not JSON/);
  assert.throws(() => assets.decodeAsset(key, Buffer.from('{"docType":"car","id":"B2","owner":"bob","value":5}')), /not an asset record/);
  assert.throws(() => assets.decodeAsset(key, Buffer.from('{"docType":"asset","id":"B2","owner":"bob","value":"5"}')), /not an asset record/);
  assert.throws(() => assets.decodeAsset(key, Buffer.from('{"docType":"asset","id":"B2","owner":"bob","value":-5}')), /not an asset record/);
  assert.throws(() => assets.decodeAsset(key, Buffer.from('{"docType":"asset","id":"C3","owner":"bob","value":5}')), /names another asset id 'C3'/);
});

test('every asset key lies in the range the range query scans, other keys do not', () => {
  const inRange = (key) => Buffer.compare(Buffer.from(key), Buffer.from(assets.KEY_PREFIX)) >= 0 && Buffer.compare(Buffer.from(key), Buffer.from(assets.KEY_RANGE_END)) < 0;
  for (const id of ['0', 'A', 'z', 'zzz', '9-._', 'Z'.repeat(64)]) assert.ok(inRange(assets.assetKey(id)), id);
  for (const key of ['asset', 'asset/x', 'asset-x', 'assets.x', 'Asset.x', 'other']) assert.ok(!inRange(key), key);
});

test('the owner query selects asset documents of that owner through the owner index', () => {
  assert.deepEqual(JSON.parse(assets.ownerQuery('al"ice')), {
    selector: { docType: 'asset', owner: 'al"ice' },
    use_index: ['_design/indexOwnerDoc', 'indexOwner'],
  });
});
