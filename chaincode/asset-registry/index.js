'use strict';

// Entry point read by `fabric-chaincode-node server` (package.json "main"): the contracts to serve.
// The first contract is the default one, so clients call "CreateAsset" as well as
// "AssetRegistry:CreateAsset".
const { AssetRegistryContract } = require('./lib/asset-registry-contract');

module.exports.AssetRegistryContract = AssetRegistryContract;
module.exports.contracts = [AssetRegistryContract];
