'use strict';

// Pure helpers of the asset registry: input validation, ledger keys, the one canonical record
// encoding, and the CouchDB query. No Fabric import here, so the rules are testable alone.
//
// Determinism: every peer that endorses a transaction must produce the same write set and the
// same response bytes. Nothing here reads a clock or a random source, and a record is always
// re-encoded from its fields in one fixed key order, whatever order the state database returns
// them in (CouchDB hands back documents re-serialized, goleveldb the bytes as written).

const DOC_TYPE = 'asset';
// Asset keys are "asset.<id>". Every such key sorts at or after "asset." and before "asset/"
// ('/' follows '.'), which is the key range a range query scans.
const KEY_PREFIX = 'asset.';
const KEY_RANGE_END = 'asset/';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const OWNER_MAX = 128;
// Control characters (C0, DEL, C1) are refused in owners.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/u;

class AssetError extends Error {}

function requireString(name, value) {
  if (typeof value !== 'string' || value.length === 0) {
    throw new AssetError(`${name} is required`);
  }
  return value;
}

function validateId(id) {
  requireString('asset id', id);
  if (!ID_PATTERN.test(id)) {
    throw new AssetError(
      `asset id '${id}' is invalid: 1 to 64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit`,
    );
  }
  return id;
}

function validateOwner(owner) {
  requireString('owner', owner);
  if ([...owner].length > OWNER_MAX) {
    throw new AssetError(`owner is longer than ${OWNER_MAX} characters`);
  }
  if (CONTROL_CHARS.test(owner)) {
    throw new AssetError('owner must not contain control characters');
  }
  if (owner.trim() !== owner) {
    throw new AssetError(`owner '${owner}' must not begin or end with white space`);
  }
  return owner;
}

// A value is a whole number from 0 to 2^53 - 1, given as decimal digits without leading zeros
// (transaction arguments are strings). Returns the number.
function parseValue(value) {
  requireString('value', value);
  if (!/^(0|[1-9][0-9]*)$/.test(value)) {
    throw new AssetError(`value '${value}' is invalid: a whole number written in decimal digits`);
  }
  const number = Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new AssetError(`value '${value}' is too large (at most ${Number.MAX_SAFE_INTEGER})`);
  }
  return number;
}

function assetKey(id) {
  return KEY_PREFIX + validateId(id);
}

// The single encoding of a record: fields in fixed (alphabetical) order, no white space.
function encodeAsset({ id, owner, value }) {
  return JSON.stringify({ docType: DOC_TYPE, id, owner, value });
}

// Decodes stored bytes into {id, owner, value}, refusing anything that is not an asset record.
function decodeAsset(key, bytes) {
  let doc;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new AssetError(`the record at key '${key}' is not JSON: ${err.message}`);
  }
  const { docType, id, owner, value } = doc || {};
  if (docType !== DOC_TYPE || typeof id !== 'string' || typeof owner !== 'string' || !Number.isSafeInteger(value) || value < 0) {
    throw new AssetError(`the record at key '${key}' is not an asset record`);
  }
  if (KEY_PREFIX + id !== key) {
    throw new AssetError(`the record at key '${key}' names another asset id '${id}'`);
  }
  return { id, owner, value };
}

// The CouchDB rich query of ListAssetsByOwner; served by META-INF/statedb/couchdb/indexes/indexOwner.json.
function ownerQuery(owner) {
  return JSON.stringify({
    selector: { docType: DOC_TYPE, owner },
    use_index: ['_design/indexOwnerDoc', 'indexOwner'],
  });
}

// Results in one order (by id) whichever query produced them.
function byId(a, b) {
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

module.exports = {
  AssetError,
  DOC_TYPE,
  KEY_PREFIX,
  KEY_RANGE_END,
  assetKey,
  byId,
  decodeAsset,
  encodeAsset,
  ownerQuery,
  parseValue,
  validateId,
  validateOwner,
};
