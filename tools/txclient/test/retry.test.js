'use strict';
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { submitWithRetries, evaluateWithRetries } = require('../lib/retry');
const { fakeClock, fakePort, FakeGatewayError } = require('./fakes');

const CREATE = { channel: 'c1', fn: 'CreateAsset', args: ['k1', 'me', '7'] };
const POLICY = { retries: 3, retryDelay: 1 };

function run(fault, policy = POLICY, op = CREATE) {
  const clock = fakeClock();
  const port = fakePort({ clock, fault });
  const done = clock.run(submitWithRetries(port, op, { ...policy, now: clock.now, sleep: clock.sleep }));
  return done.then((result) => ({ result, port, clock }));
}

/** fault that fails the first `times` calls of `stage` with `failure`. */
function failing(stage, times, failure) {
  let seen = 0;
  return (s) => (s === stage && (seen += 1) <= times ? failure : undefined);
}

test('acknowledged at the first attempt: one transaction, its block, its times', async () => {
  const { result, port, clock } = await run(() => undefined);
  assert.equal(result.ok, true);
  assert.equal(result.attempts, 1);
  assert.equal(result.txId, 'tx1');
  assert.deepEqual(result.txIds, ['tx1']);
  assert.equal(result.firstAttemptError, null);
  assert.equal(result.error, null);
  assert.deepEqual([result.status, result.statusCode, result.blockNumber], ['VALID', 0, 1]);
  assert.equal(result.submitted, 1_700_000_000_000);
  assert.equal(result.acknowledged, clock.now());
  assert.equal(result.acknowledged - result.submitted, 55); // endorse 10 + submit 5 + status 40
  assert.equal(port.ledger.get('c1\nk1').value, '7');
});

test('a failed endorsement: the next attempt endorses anew, on the next peer, after the delay', async () => {
  const { result, port } = await run(failing('endorse', 1, new FakeGatewayError('14 UNAVAILABLE: connection refused')));
  assert.equal(result.ok, true);
  assert.equal(result.attempts, 2);
  assert.equal(result.firstAttemptError, 'FakeGatewayError: 14 UNAVAILABLE: connection refused');
  const endorsements = port.calls.filter((call) => call.stage === 'endorse');
  assert.deepEqual(endorsements.map((call) => call.peer), [0, 1]);
  assert.equal(endorsements[1].at - endorsements[0].at, 10 + 1000);
});

test('a failed submission: the SAME transaction is submitted again through the next peer', async () => {
  const { result, port } = await run(failing('submit', 1, new FakeGatewayError('4 DEADLINE_EXCEEDED')));
  assert.equal(result.ok, true);
  assert.deepEqual(result.txIds, ['tx1']);
  assert.equal(port.calls.filter((call) => call.stage === 'endorse').length, 1);
  assert.deepEqual(port.calls.filter((call) => call.stage === 'submit').map((call) => [call.peer, call.txId]), [[0, 'tx1'], [1, 'tx1']]);
});

test('a lost commit status (it did commit): resubmitting acknowledges the first commit, no second write', async () => {
  const { result, port } = await run(failing('status', 2, new FakeGatewayError('4 DEADLINE_EXCEEDED: commit status')));
  assert.equal(result.ok, true);
  assert.equal(result.attempts, 3);
  assert.deepEqual(result.txIds, ['tx1']);
  assert.equal(result.blockNumber, 1);
  assert.equal(port.committed.size, 1);
  assert.match(result.firstAttemptError, /DEADLINE_EXCEEDED: commit status/);
});

test('a commit that did not succeed: a new endorsement (new transaction ID) is made', async () => {
  const { result } = await run(failing('status', 1, 'MVCC_READ_CONFLICT'));
  assert.equal(result.ok, true);
  assert.deepEqual(result.txIds, ['tx1', 'tx2']);
  assert.equal(result.txId, 'tx2');
  assert.equal(result.firstAttemptError, 'transaction tx1 committed as MVCC_READ_CONFLICT');
  assert.deepEqual([result.status, result.blockNumber], ['VALID', 2]);
});

test('bounded: retries spent -> not ok, the last error, no acknowledged transaction', async () => {
  const { result, clock } = await run(() => new FakeGatewayError('14 UNAVAILABLE'), { retries: 2, retryDelay: 0.5 });
  assert.equal(result.ok, false);
  assert.equal(result.attempts, 3);
  assert.equal(result.txId, null);
  assert.equal(result.acknowledged, null);
  assert.equal(result.error, 'FakeGatewayError: 14 UNAVAILABLE');
  assert.equal(clock.now() - result.submitted, 3 * 10 + 2 * 500);
});

test('--retries 0: one attempt only', async () => {
  const { result } = await run(failing('endorse', 1, new FakeGatewayError('boom')), { retries: 0, retryDelay: 1 });
  assert.deepEqual([result.ok, result.attempts, result.error], [false, 1, 'FakeGatewayError: boom']);
});

test('the error names the endorsers that refused', async () => {
  const { result } = await run(() => undefined, POLICY, { channel: 'c1', fn: 'UpdateAsset', args: ['absent', '1'] });
  assert.equal(result.ok, false);
  assert.equal(result.error, 'FakeGatewayError: endorse failed; peer1: asset absent does not exist');
});

test('evaluate: retried over the peers, then the last error', async () => {
  const clock = fakeClock();
  const port = fakePort({ clock, fault: failing('evaluate', 1, new FakeGatewayError('14 UNAVAILABLE')) });
  port.ledger.set('c1\nk', { id: 'k', owner: 'me', value: '3' });
  const policy = { ...POLICY, sleep: clock.sleep };
  assert.equal(await clock.run(evaluateWithRetries(port, { channel: 'c1', fn: 'ReadAsset', args: ['k'] }, policy)), '{"id":"k","owner":"me","value":"3"}');
  assert.deepEqual(port.calls.map((call) => call.peer), [0, 1]);
  const none = clock.run(evaluateWithRetries(port, { channel: 'c1', fn: 'ReadAsset', args: ['x'] }, { ...policy, retries: 1 }));
  await assert.rejects(none, { message: 'ReadAsset(x) on c1: FakeGatewayError: evaluate failed; peer1: asset x does not exist' });
});
