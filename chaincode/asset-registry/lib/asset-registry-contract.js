'use strict';

// The asset registry contract. fabric-contract-api is not installed into this directory: at run
// time it comes from the runtime artifact's node_modules through NODE_PATH (see README.md).
const { Contract } = require('fabric-contract-api');

const pkg = require('../package.json');
const {
  AssetError,
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
} = require('./assets');

// goleveldb has no rich queries; the peer answers getQueryResult with this error
// (core/ledger/kvledger/txmgmt/statedb/stateleveldb: "ExecuteQuery not supported for leveldb").
const NO_RICH_QUERIES = /not supported for leveldb/i;

// Reads the assets of a shim iterator (the result of getStateByRange/getQueryResult). Only keys
// of the asset key range count, so that a rich query and a range query see the same assets.
async function collect(iterable) {
  const assets = [];
  for await (const { key, value } of iterable) {
    if (key.startsWith(KEY_PREFIX)) assets.push(decodeAsset(key, value));
  }
  return assets;
}

async function readAsset(ctx, id) {
  const key = assetKey(id);
  const bytes = await ctx.stub.getState(key);
  if (!bytes || bytes.length === 0) {
    throw new AssetError(`asset ${id} does not exist`);
  }
  return decodeAsset(key, bytes);
}

async function writeAsset(ctx, asset) {
  const encoded = encodeAsset(asset);
  await ctx.stub.putState(assetKey(asset.id), Buffer.from(encoded));
  return encoded;
}

class AssetRegistryContract extends Contract {
  constructor() {
    super('AssetRegistry');
  }

  // Health check: no ledger access, the same answer on every peer.
  async Ping(ctx) {
    return JSON.stringify({ chaincode: pkg.name, status: 'ok', version: pkg.version });
  }

  async AssetExists(ctx, id) {
    const bytes = await ctx.stub.getState(assetKey(id));
    return Boolean(bytes && bytes.length > 0);
  }

  async CreateAsset(ctx, id, owner, value) {
    validateId(id);
    validateOwner(owner);
    const amount = parseValue(value);
    if (await this.AssetExists(ctx, id)) {
      throw new AssetError(`asset ${id} already exists`);
    }
    return writeAsset(ctx, { id, owner, value: amount });
  }

  async ReadAsset(ctx, id) {
    return encodeAsset(await readAsset(ctx, id));
  }

  async UpdateAsset(ctx, id, value) {
    validateId(id);
    const amount = parseValue(value);
    const asset = await readAsset(ctx, id);
    return writeAsset(ctx, { ...asset, value: amount });
  }

  async TransferAsset(ctx, id, newOwner) {
    validateId(id);
    validateOwner(newOwner);
    const asset = await readAsset(ctx, id);
    if (asset.owner === newOwner) {
      throw new AssetError(`asset ${id} is already owned by ${newOwner}`);
    }
    return writeAsset(ctx, { ...asset, owner: newOwner });
  }

  async DeleteAsset(ctx, id) {
    const asset = await readAsset(ctx, id);
    await ctx.stub.deleteState(assetKey(id));
    return encodeAsset(asset);
  }

  // CouchDB peers answer with a rich query (selector on docType and owner, served by the owner
  // index); goleveldb peers refuse rich queries, and then a range query over the asset keys is
  // filtered by owner. Both give the same JSON array, ordered by id, so peers with different
  // state databases still endorse identical responses.
  async ListAssetsByOwner(ctx, owner) {
    validateOwner(owner);
    let assets;
    try {
      assets = await collect(ctx.stub.getQueryResult(ownerQuery(owner)));
    } catch (err) {
      if (!NO_RICH_QUERIES.test(String(err && err.message))) throw err;
      assets = (await collect(ctx.stub.getStateByRange(KEY_PREFIX, KEY_RANGE_END))).filter((asset) => asset.owner === owner);
    }
    assets.sort(byId);
    return `[${assets.map(encodeAsset).join(',')}]`;
  }
}

module.exports = { AssetRegistryContract };
