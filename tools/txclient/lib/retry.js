'use strict';
// One submission or evaluation with bounded retries, over a "port" to the gateways:
//   port.peers                                 number of gateway peers
//   port.endorse(peer, channel, fn, args)   -> {txId, ...} an endorsed, not yet submitted transaction
//   port.submit(peer, transaction)          -> a commit handle (the orderer accepted the transaction)
//   port.status(commit)                     -> {code, name, successful, blockNumber}
//   port.evaluate(peer, channel, fn, args)  -> the result as a string
// Each call is bounded by its gateway deadline (lib/fabric.js); attempt n goes to peer (first + n) % peers.
//
// An attempt whose endorsement fails, or whose commit status says invalid, surely wrote nothing: the
// next attempt endorses anew. One whose submission or commit-status call failed may still commit:
// the next attempt submits the SAME transaction again (through the next peer), so a write is never
// made twice: Fabric commits a transaction ID once (a later copy is DUPLICATE_TXID) and the commit
// status of an ID is that of its first occurrence.

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function describe(err) {
  const details = Array.isArray(err.details) ? err.details.map((d) => `${d.address || d.mspId}: ${d.message}`) : [];
  return [`${err.name || 'Error'}: ${err.message}`, ...details].join('; ');
}

/** -> {ok, txId, txIds, attempts, firstAttemptError, error, status, statusCode, blockNumber, submitted, acknowledged} (times in ms) */
async function submitWithRetries(port, { channel, fn, args }, { retries, retryDelay, firstPeer = 0, now = Date.now, sleep = delay }) {
  const result = { ok: false, txId: null, txIds: [], attempts: 0, firstAttemptError: null, error: null };
  Object.assign(result, { status: null, statusCode: null, blockNumber: null, submitted: now(), acknowledged: null });
  let pending = null; // a transaction that may have reached the orderer
  for (let attempt = 0; attempt <= retries; attempt += 1) {
    if (attempt) await sleep(retryDelay * 1000);
    const peer = (firstPeer + attempt) % port.peers;
    result.attempts = attempt + 1;
    try {
      const transaction = pending || (await port.endorse(peer, channel, fn, args));
      if (!result.txIds.includes(transaction.txId)) result.txIds.push(transaction.txId);
      pending = transaction;
      const status = await port.status(await port.submit(peer, transaction));
      Object.assign(result, { status: status.name, statusCode: status.code, blockNumber: status.blockNumber });
      if (status.successful) {
        Object.assign(result, { ok: true, txId: transaction.txId, error: null, acknowledged: now() });
        return result;
      }
      pending = null;
      result.error = `transaction ${transaction.txId} committed as ${status.name}`;
    } catch (err) {
      result.error = describe(err);
    }
    if (!attempt) result.firstAttemptError = result.error;
  }
  return result;
}

/** The evaluation's result, or throws the last error once the retries are spent. */
async function evaluateWithRetries(port, { channel, fn, args }, { retries, retryDelay, firstPeer = 0, sleep = delay }) {
  let last;
  for (let attempt = 0; attempt <= retries; attempt += 1) {
    if (attempt) await sleep(retryDelay * 1000);
    try {
      return await port.evaluate((firstPeer + attempt) % port.peers, channel, fn, args);
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`${fn}(${args.join(', ')}) on ${channel}: ${describe(last)}`);
}

module.exports = { submitWithRetries, evaluateWithRetries, describe, delay };
