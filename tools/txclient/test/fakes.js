'use strict';
// Test doubles: a virtual clock, an in-memory port (lib/retry.js) holding one ledger per channel, and
// per-peer block streams (lib/ledger.js).

/** Virtual time: sleep() resolves when run() advances the clock to it, in time order. */
function fakeClock(start = 1_700_000_000_000) {
  let time = start;
  const timers = [];
  return {
    now: () => time,
    sleep: (ms) => new Promise((resolve) => timers.push({ at: time + ms, resolve })),
    /** Drives `promise` to its end; throws when it waits on nothing the clock knows. */
    async run(promise) {
      let settled = false;
      promise.then(
        () => (settled = true),
        () => (settled = true),
      );
      for (;;) {
        await new Promise(setImmediate);
        if (settled) return promise;
        if (!timers.length) throw new Error('stuck: nothing is scheduled');
        timers.sort((a, b) => a.at - b.at);
        const timer = timers.shift();
        time = Math.max(time, timer.at);
        timer.resolve();
      }
    },
  };
}

class FakeGatewayError extends Error {
  constructor(message, details = []) {
    super(message);
    this.name = 'FakeGatewayError';
    this.details = details;
  }
}

/**
 * The asset-registry chaincode on `peers` gateway peers; latency: ms per stage (or a function of the
 * call). fault(stage, call) may return an Error to
 * throw, or (stage 'status') a status name to commit as invalid. A status-stage Error comes AFTER the
 * transaction committed (the client just never learns it); a submit-stage Error means it never did.
 */
function fakePort({ clock, peers = 2, latency = {}, fault = () => undefined }) {
  const delays = { endorse: 10, submit: 5, status: 40, evaluate: 5, ...latency };
  const ledger = new Map();
  const committed = new Map(); // txId -> status of its first occurrence
  const calls = [];
  let txCount = 0;
  let block = 0;
  let active = 0;
  const port = { peers, ledger, calls, committed, maxActive: 0 };
  const step = async (stage, call) => {
    calls.push({ stage, ...call, at: clock.now() });
    await clock.sleep(typeof delays[stage] === 'function' ? delays[stage](call) : delays[stage]);
    return fault(stage, call);
  };
  const id = (channel, key) => `${channel}\n${key}`;

  port.endorse = async (peer, channel, fn, args) => {
    const failure = await step('endorse', { peer, channel, fn, args });
    if (failure) throw failure;
    const exists = ledger.has(id(channel, args[0]));
    if (fn === 'CreateAsset' && exists) throw new FakeGatewayError('endorse failed', [{ address: `peer${peer}`, message: `asset ${args[0]} exists` }]);
    if (fn === 'UpdateAsset' && !exists) throw new FakeGatewayError('endorse failed', [{ address: `peer${peer}`, message: `asset ${args[0]} does not exist` }]);
    txCount += 1;
    active += 1;
    port.maxActive = Math.max(port.maxActive, active);
    return { txId: `tx${txCount}`, channel, fn, args };
  };
  port.submit = async (peer, transaction) => {
    const failure = await step('submit', { peer, txId: transaction.txId });
    if (failure) throw failure;
    return transaction;
  };
  port.status = async (transaction) => {
    const failure = await step('status', { txId: transaction.txId });
    if (!committed.has(transaction.txId)) {
      block += 1;
      const name = typeof failure === 'string' ? failure : 'VALID';
      committed.set(transaction.txId, { code: name === 'VALID' ? 0 : 11, name, successful: name === 'VALID', blockNumber: block });
      const [key, ...rest] = transaction.args;
      if (name === 'VALID') {
        const value = transaction.fn === 'CreateAsset' ? rest[1] : rest[0];
        const owner = transaction.fn === 'CreateAsset' ? rest[0] : ledger.get(id(transaction.channel, key)).owner;
        ledger.set(id(transaction.channel, key), { id: key, owner, value });
      }
      active -= 1;
    }
    if (failure instanceof Error) throw failure;
    return committed.get(transaction.txId);
  };
  port.evaluate = async (peer, channel, fn, args) => {
    const failure = await step('evaluate', { peer, channel, fn, args });
    if (failure) throw failure;
    const asset = ledger.get(id(channel, args[0]));
    if (fn === 'AssetExists') return JSON.stringify(Boolean(asset));
    if (!asset) throw new FakeGatewayError('evaluate failed', [{ address: `peer${peer}`, message: `asset ${args[0]} does not exist` }]);
    return JSON.stringify(asset);
  };
  return port;
}

const CODES = { VALID: 0, DUPLICATE_TXID: 9, MVCC_READ_CONFLICT: 11 };

/**
 * port.filteredBlocks over `chains[peer][channel]`: blocks {number, txs: [txId or [txId, code name]]}
 * (an Error entry: the stream fails there). After the last block next() waits, as a peer's Deliver
 * does, until the stream is closed. port.opened/closed count the streams.
 */
function blockPort(chains) {
  const port = { opened: [], closed: 0, reads: 0 };
  port.filteredBlocks = async (peer, channel) => {
    port.opened.push({ peer, channel });
    const blocks = [...((chains[peer] || {})[channel] || [])];
    let wake = null;
    let closed = false;
    return {
      next() {
        port.reads += 1;
        if (closed) return Promise.reject(new FakeGatewayError('1 CANCELLED: Cancelled on client'));
        const entry = blocks.shift();
        if (entry instanceof Error) return Promise.reject(entry);
        if (entry) {
          const transactions = entry.txs.map((tx) => {
            const [txId, name = 'VALID'] = Array.isArray(tx) ? tx : [tx];
            return { txId, code: CODES[name], name };
          });
          return Promise.resolve({ done: false, value: { number: entry.number, transactions } });
        }
        return new Promise((resolve, reject) => {
          wake = () => reject(new FakeGatewayError('1 CANCELLED: Cancelled on client'));
        });
      },
      close() {
        closed = true;
        port.closed += 1;
        if (wake) wake();
      },
    };
  };
  return port;
}

module.exports = { fakeClock, fakePort, blockPort, FakeGatewayError };
