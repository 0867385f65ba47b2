'use strict';
// A stand-in for the peers' Gateway service (gRPC over TLS, the protos of @hyperledger/fabric-protos),
// so that lib/fabric.js and txclient.js run for real without a Fabric network. Its peers share one
// "channel state": a ledger of assets and the committed transaction IDs (a later copy of an ID is a
// duplicate and writes nothing, as in Fabric), and a chain of blocks (one transaction each, numbered
// over all channels) that the Deliver service streams as filtered blocks.

const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const { common, gateway, orderer, peer } = require('@hyperledger/fabric-protos');
// Not re-exported by the package's index.
const { DeliverService } = require('@hyperledger/fabric-protos/lib/peer/events_grpc_pb');

/** A self-signed TLS certificate for `hostname`, made with openssl (throws when there is none). */
function tlsMaterial(dir, hostname) {
  const cert = path.join(dir, 'tls.crt');
  const key = path.join(dir, 'tls.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', `/CN=${hostname}`, '-addext', `subjectAltName=DNS:${hostname}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

/** The client identity: a P-256 key (PEM) and a stand-in certificate, as a cryptogen MSP directory. */
function mspDirectory(dir) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  fs.mkdirSync(path.join(dir, 'signcerts'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'keystore'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'signcerts', 'User1@org1.example.com-cert.pem'), 'not checked by the fake gateway\n');
  fs.writeFileSync(path.join(dir, 'keystore', 'priv_sk'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return publicKey;
}

function invocation(signedProposal) {
  const proposal = peer.Proposal.deserializeBinary(signedProposal.getProposalBytes_asU8());
  const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
  const spec = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8()).getChaincodeSpec();
  const [fn, ...args] = spec.getInput().getArgsList_asU8().map((arg) => Buffer.from(arg).toString('utf8'));
  return { chaincode: spec.getChaincodeId().getName(), fn, args };
}

function envelopeOf(channel, txId, call, result) {
  const channelHeader = new common.ChannelHeader();
  channelHeader.setChannelId(channel);
  channelHeader.setTxId(txId);
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  const response = new peer.Response();
  response.setStatus(200);
  response.setPayload(Buffer.from(result));
  const chaincodeAction = new peer.ChaincodeAction();
  chaincodeAction.setResponse(response);
  // The write set, in this stand-in: the call itself.
  chaincodeAction.setEvents(Buffer.from(JSON.stringify(call)));
  const responsePayload = new peer.ProposalResponsePayload();
  responsePayload.setExtension$(chaincodeAction.serializeBinary());
  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(responsePayload.serializeBinary());
  const actionPayload = new peer.ChaincodeActionPayload();
  actionPayload.setAction(endorsed);
  const action = new peer.TransactionAction();
  action.setPayload(actionPayload.serializeBinary());
  const transaction = new peer.Transaction();
  transaction.addActions(action);
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(transaction.serializeBinary());
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  return envelope;
}

function callOf(envelope) {
  const transaction = peer.Transaction.deserializeBinary(common.Payload.deserializeBinary(envelope.getPayload_asU8()).getData_asU8());
  const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(transaction.getActionsList()[0].getPayload_asU8());
  const responsePayload = peer.ProposalResponsePayload.deserializeBinary(actionPayload.getAction().getProposalResponsePayload_asU8());
  return JSON.parse(Buffer.from(peer.ChaincodeAction.deserializeBinary(responsePayload.getExtension_asU8()).getEvents_asU8()).toString());
}

const grpcError = (code, details) => Object.assign(new Error(details), { code, details });

/**
 * The state the peers share; `hooks[method](request, peerName)` may return a gRPC error, or 'hang'
 * (deliverFiltered: also a DeliverResponse status number, sent as a peer does, e.g. 404 for an unknown
 * channel); `hooks.deliverBlock(block, peerName)` may change the block that peer sends, or drop it (null).
 */
function channelState(publicKey, hooks = {}) {
  return { publicKey, hooks, ledger: new Map(), committed: new Map(), blocks: 0, chain: [], streams: new Set(), log: [] };
}

/** Commits a block of `transactions` ([{txId, code}]) on `channel`; open block streams get it at once. -> its number */
function appendBlock(state, channel, transactions) {
  state.blocks += 1;
  const block = { channel, number: state.blocks, transactions };
  state.chain.push(block);
  for (const send of state.streams) send(block);
  return block.number;
}

/** A Deliver request: the signed envelope's channel and start block (the stop is "never", as the gateway asks). */
function seekOf(envelope, publicKey) {
  if (!crypto.verify('sha256', envelope.getPayload_asU8(), publicKey, envelope.getSignature_asU8())) {
    throw grpcError(grpc.status.INVALID_ARGUMENT, 'bad signature');
  }
  const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
  const header = common.ChannelHeader.deserializeBinary(payload.getHeader().getChannelHeader_asU8());
  if (header.getType() !== common.HeaderType.DELIVER_SEEK_INFO) throw grpcError(grpc.status.INVALID_ARGUMENT, `header type ${header.getType()}`);
  const seek = orderer.SeekInfo.deserializeBinary(payload.getData_asU8());
  if (!seek.getStart().hasSpecified()) throw grpcError(grpc.status.UNIMPLEMENTED, 'the stand-in serves a specified start block only');
  return { channel: header.getChannelId(), start: seek.getStart().getSpecified().getNumber() };
}

function filteredResponse({ channel, number, transactions }) {
  const block = new peer.FilteredBlock();
  block.setChannelId(channel);
  block.setNumber(number);
  for (const { txId, code } of transactions) {
    const tx = new peer.FilteredTransaction();
    tx.setTxid(txId);
    tx.setType(common.HeaderType.ENDORSER_TRANSACTION);
    tx.setTxValidationCode(code);
    block.addFilteredTransactions(tx);
  }
  const response = new peer.DeliverResponse();
  response.setFilteredBlock(block);
  return response;
}

/** DeliverFiltered: the channel's blocks from the start block, then each new one, until the client cancels. */
function deliverFiltered(state, name) {
  return (call) => {
    call.once('data', (envelope) => {
      state.log.push({ method: 'deliverFiltered', peer: name });
      let seek;
      try {
        seek = seekOf(envelope, state.publicKey);
      } catch (err) {
        return call.emit('error', err);
      }
      const outcome = state.hooks.deliverFiltered && state.hooks.deliverFiltered(seek, name);
      if (outcome === 'hang') return;
      if (typeof outcome === 'number') {
        const response = new peer.DeliverResponse();
        response.setStatus(outcome);
        call.write(response);
        return call.end();
      }
      if (outcome) return call.emit('error', outcome);
      const send = (block) => {
        if (block.channel !== seek.channel || block.number < seek.start) return;
        const shown = state.hooks.deliverBlock ? state.hooks.deliverBlock(block, name) : block;
        if (shown) call.write(filteredResponse(shown));
      };
      state.chain.forEach(send);
      state.streams.add(send);
      call.on('cancelled', () => state.streams.delete(send));
    });
  };
}

/** One peer: resolves to {port, close}. */
async function startPeer(state, name, tls) {
  const server = new grpc.Server();
  const id = (channel, key) => `${channel}\n${key}`;
  const handle = (method, work) => (call, callback) => {
    const outcome = state.hooks[method] && state.hooks[method](call.request, name);
    state.log.push({ method, peer: name });
    if (outcome === 'hang') return; // the client's deadline must end it
    if (outcome) return callback(outcome);
    try {
      callback(null, work(call.request));
    } catch (err) {
      callback(err);
    }
  };
  const read = (channel, { fn, args }) => {
    const asset = state.ledger.get(id(channel, args[0]));
    if (fn === 'AssetExists') return JSON.stringify(Boolean(asset));
    if (fn === 'ReadAsset' && asset) return JSON.stringify(asset);
    if (fn === 'CreateAsset' && !asset) return '';
    if (fn === 'UpdateAsset' && asset) return '';
    throw grpcError(grpc.status.UNKNOWN, `chaincode response 500, ${fn}(${args[0]}) refused`);
  };
  server.addService(gateway.GatewayService, {
    endorse: handle('endorse', (request) => {
      const call = invocation(request.getProposedTransaction());
      const result = new gateway.EndorseResponse();
      result.setPreparedTransaction(envelopeOf(request.getChannelId(), request.getTransactionId(), call, read(request.getChannelId(), call)));
      return result;
    }),
    submit: handle('submit', (request) => {
      const envelope = request.getPreparedTransaction();
      if (!crypto.verify('sha256', envelope.getPayload_asU8(), state.publicKey, envelope.getSignature_asU8())) {
        throw grpcError(grpc.status.INVALID_ARGUMENT, 'bad signature');
      }
      const txId = request.getTransactionId();
      if (!state.committed.has(txId)) {
        const { fn, args } = callOf(envelope);
        const key = id(request.getChannelId(), args[0]);
        const asset = fn === 'CreateAsset' ? { id: args[0], owner: args[1], value: args[2] } : { ...state.ledger.get(key), value: args[1] };
        state.ledger.set(key, asset);
        state.committed.set(txId, appendBlock(state, request.getChannelId(), [{ txId, code: peer.TxValidationCode.VALID }]));
      }
      return new gateway.SubmitResponse();
    }),
    commitStatus: handle('commitStatus', (request) => {
      const txId = gateway.CommitStatusRequest.deserializeBinary(request.getRequest_asU8()).getTransactionId();
      if (!state.committed.has(txId)) throw grpcError(grpc.status.NOT_FOUND, `no transaction ${txId}`);
      const result = new gateway.CommitStatusResponse();
      result.setResult(peer.TxValidationCode.VALID);
      result.setBlockNumber(state.committed.get(txId));
      return result;
    }),
    evaluate: handle('evaluate', (request) => {
      const response = new peer.Response();
      response.setStatus(200);
      response.setPayload(Buffer.from(read(request.getChannelId(), invocation(request.getProposedTransaction()))));
      const result = new gateway.EvaluateResponse();
      result.setResult(response);
      return result;
    }),
  });
  server.addService(DeliverService, { deliverFiltered: deliverFiltered(state, name) });
  const credentials = grpc.ServerCredentials.createSsl(null, [{ private_key: fs.readFileSync(tls.key), cert_chain: fs.readFileSync(tls.cert) }]);
  const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound))));
  return { port, close: () => server.forceShutdown() };
}

module.exports = { tlsMaterial, mspDirectory, channelState, appendBlock, startPeer };
