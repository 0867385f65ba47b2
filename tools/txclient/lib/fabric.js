'use strict';
// The port of lib/retry.js on real gateway peers: one gRPC connection and one Gateway per --peer,
// one identity, every call bounded by the gateway's per-call deadline.

const crypto = require('node:crypto');
const fs = require('node:fs');
const grpc = require('@grpc/grpc-js');
const { connect, signers, StatusCode } = require('@hyperledger/fabric-gateway');
const { identityFiles } = require('./options');

const STATUS_NAMES = Object.fromEntries(Object.entries(StatusCode).map(([name, code]) => [code, name]));
// A restarted peer is dialled again within 2 s (gRPC's default backoff grows to 120 s).
const CHANNEL_OPTIONS = { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 2000 };

const deadline = (seconds) => () => ({ deadline: Date.now() + seconds * 1000 });

/** A peer.FilteredBlock as lib/ledger.js reads it. */
const plainBlock = (block) => ({
  number: Number(block.getNumber()),
  transactions: block.getFilteredTransactionsList().map((tx) => {
    const code = tx.getTxValidationCode();
    return { txId: tx.getTxid(), code, name: STATUS_NAMES[code] ?? String(code) };
  }),
});

function openPort(options) {
  const { certPath, keyPath } = identityFiles(options.cert, options.key);
  const identity = { mspId: options.mspId, credentials: fs.readFileSync(certPath) };
  const signer = signers.newPrivateKeySigner(crypto.createPrivateKey(fs.readFileSync(keyPath)));
  const clientTls = options.tlsClientCert ? [fs.readFileSync(options.tlsClientKey), fs.readFileSync(options.tlsClientCert)] : [];
  const connections = options.peer.map((endpoint, index) => {
    const credentials = grpc.credentials.createSsl(fs.readFileSync(options.tlsCa[options.tlsCa.length === 1 ? 0 : index]), ...clientTls);
    const override = options.hostnameOverride[index];
    const client = new grpc.Client(endpoint, credentials, override ? { ...CHANNEL_OPTIONS, 'grpc.ssl_target_name_override': override } : CHANNEL_OPTIONS);
    const gateway = connect({
      client,
      identity,
      signer,
      endorseOptions: deadline(options.endorseTimeout),
      submitOptions: deadline(options.submitTimeout),
      commitStatusOptions: deadline(options.commitTimeout),
      evaluateOptions: deadline(options.evaluateTimeout),
    });
    return { client, gateway };
  });
  const contract = (peer, channel) => connections[peer].gateway.getNetwork(channel).getContract(options.chaincode);
  return {
    peers: connections.length,
    async endorse(peer, channel, fn, args) {
      const transaction = await contract(peer, channel).newProposal(fn, { arguments: args }).endorse();
      return { txId: transaction.getTransactionId(), bytes: transaction.getBytes() };
    },
    // Any peer's gateway can submit the transaction (it is signed on submission with the same identity).
    submit: (peer, transaction) => connections[peer].gateway.newTransaction(transaction.bytes).submit(),
    async status(commit) {
      const status = await commit.getStatus();
      return { code: status.code, name: STATUS_NAMES[status.code] ?? String(status.code), successful: status.successful, blockNumber: Number(status.blockNumber) };
    },
    async evaluate(peer, channel, fn, args) {
      return Buffer.from(await contract(peer, channel).evaluateTransaction(fn, ...args)).toString('utf8');
    },
    // The ledger of this peer only: its own gateway serves the events from its own ledger. No
    // deadline: lib/ledger.js closes the stream.
    async filteredBlocks(peer, channel) {
      const events = await connections[peer].gateway.getNetwork(channel).getFilteredBlockEvents({ startBlock: 0n });
      const iterator = events[Symbol.asyncIterator]();
      return {
        async next() {
          const { done, value } = await iterator.next();
          return done ? { done } : { done, value: plainBlock(value) };
        },
        close: () => events.close(),
      };
    },
    close() {
      for (const { client, gateway } of connections) {
        gateway.close();
        client.close();
      }
    },
  };
}

module.exports = { openPort };
