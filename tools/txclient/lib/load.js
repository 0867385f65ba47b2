'use strict';
// The load: CreateAsset of new keys, then UpdateAsset of the same keys, offered at a target rate
// round-robin over the channels, with a bounded number in flight, until the first bound is reached.

const { submitWithRetries, delay } = require('./retry');
const { seconds, toRecord } = require('./records');

// Longest sleep between checks of the stop conditions (ms).
const POLL_MS = 100;

/**
 * Launch times at `rate` per second from `start` (ms). A launch late by less than one interval keeps
 * the schedule (no drift); a later one (all slots were busy) restarts it from then: no catch-up burst.
 */
function scheduler(rate, start) {
  const interval = 1000 / rate;
  let due = start;
  return {
    wait: (now) => Math.max(0, due - now),
    launched(now) {
      due = now - due > interval ? now + interval : due + interval;
    },
  };
}

/**
 * The next operation per channel: an update of a key whose last write was acknowledged, when one is
 * waiting, else a create of a new key. A key is never written by two submissions at once. Values are
 * the submission's number (unique in the run), as strings.
 */
function planner({ channels, keyPrefix, owner, updates }) {
  const ready = new Map(channels.map((channel) => [channel, []]));
  let count = 0;
  return {
    next() {
      const channel = channels[count % channels.length];
      count += 1;
      const value = String(count);
      const waiting = ready.get(channel).shift();
      if (waiting) return { channel, key: waiting.key, value, fn: 'UpdateAsset', args: [waiting.key, value], left: waiting.left - 1 };
      const key = `${keyPrefix}-${count}`;
      return { channel, key, value, fn: 'CreateAsset', args: [key, owner, value], left: updates };
    },
    done(op, ok) {
      if (ok && op.left > 0) ready.get(op.channel).push({ key: op.key, left: op.left });
    },
  };
}

/**
 * Runs the load; `write` gets each record as its submission ends. env: {now, sleep, stopRequested}.
 * -> the summary (offered, acknowledged, failed, first-attempt failures, elapsed, achieved rate).
 */
async function runLoad(port, options, write, { now = Date.now, sleep = delay, stopRequested = () => false } = {}) {
  const start = now();
  const schedule = scheduler(options.rate, start);
  const plan = planner({ channels: options.channel, keyPrefix: options.keyPrefix, owner: options.owner, updates: options.updates });
  const policy = { retries: options.retries, retryDelay: options.retryDelay, now, sleep };
  const counts = { offered: 0, acknowledged: 0, failed: 0, first_attempt_failures: 0 };
  const inFlight = new Set();
  let stoppedBy = null;
  for (;;) {
    if (counts.offered >= options.maxTx) stoppedBy = 'max-tx';
    else if (now() - start >= options.maxSeconds * 1000) stoppedBy = 'max-seconds';
    else if (stopRequested()) stoppedBy = 'stop';
    if (stoppedBy) break;
    if (inFlight.size >= options.concurrency) {
      await Promise.race(inFlight);
      continue;
    }
    const wait = schedule.wait(now());
    if (wait > 0) {
      await sleep(Math.min(wait, POLL_MS));
      continue;
    }
    schedule.launched(now());
    const op = plan.next();
    // Each channel's submissions rotate over all the peers.
    const firstPeer = Math.floor(counts.offered / options.channel.length) % port.peers;
    counts.offered += 1;
    const submission = submitWithRetries(port, op, { ...policy, firstPeer }).then((result) => {
      write(toRecord(op, result));
      plan.done(op, result.ok);
      counts[result.ok ? 'acknowledged' : 'failed'] += 1;
      if (result.firstAttemptError) counts.first_attempt_failures += 1;
      inFlight.delete(submission);
    });
    inFlight.add(submission);
  }
  await Promise.all(inFlight);
  const elapsed = (now() - start) / 1000;
  return {
    mode: 'load',
    ...counts,
    elapsed: seconds(elapsed * 1000),
    achieved_rate: elapsed > 0 ? Math.round((counts.acknowledged / elapsed) * 100) / 100 : 0,
    target_rate: options.rate,
    stopped_by: stoppedBy,
    started: seconds(start),
  };
}

module.exports = { scheduler, planner, runLoad };
