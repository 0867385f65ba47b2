'use strict';
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { scheduler, planner } = require('../lib/load');

test('launches every 1/rate seconds; small lateness does not drift the schedule', () => {
  const schedule = scheduler(10, 1000);
  assert.equal(schedule.wait(1000), 0);
  schedule.launched(1000);
  assert.equal(schedule.wait(1030), 70);
  schedule.launched(1104); // a timer 4 ms late
  assert.equal(schedule.wait(1110), 90); // the next one is still due at 1200
  schedule.launched(1200);
  assert.equal(schedule.wait(1250), 50);
});

test('after a stall (all slots busy) it restarts from then: no burst to catch up', () => {
  const schedule = scheduler(10, 0);
  schedule.launched(0);
  schedule.launched(2500); // due at 100, launched 2.4 s late
  assert.equal(schedule.wait(2500), 100);
  assert.equal(schedule.wait(2600), 0);
});

test('creates new keys, then updates the acknowledged ones, per channel; values unique', () => {
  const plan = planner({ channels: ['c1', 'c2'], keyPrefix: 'k', owner: 'me', updates: 1 });
  const first = [plan.next(), plan.next()];
  assert.deepEqual(first.map((op) => [op.channel, op.fn, op.args]), [
    ['c1', 'CreateAsset', ['k-1', 'me', '1']],
    ['c2', 'CreateAsset', ['k-2', 'me', '2']],
  ]);
  plan.done(first[0], true);
  plan.done(first[1], false); // k-2 was not acknowledged: never updated
  const [update, create] = [plan.next(), plan.next()];
  assert.deepEqual([update.channel, update.fn, update.args], ['c1', 'UpdateAsset', ['k-1', '3']]);
  assert.deepEqual([create.channel, create.fn, create.key], ['c2', 'CreateAsset', 'k-4']);
  plan.done(update, true); // its one update done: k-1 is finished
  assert.equal(plan.next().fn, 'CreateAsset');
});

test('--updates 2: a key is updated twice, one write at a time', () => {
  const plan = planner({ channels: ['c'], keyPrefix: 'k', owner: 'me', updates: 2 });
  const create = plan.next();
  assert.equal(plan.next().fn, 'CreateAsset'); // k-1 not acknowledged yet: not written again
  plan.done(create, true);
  const update = plan.next();
  assert.deepEqual([update.fn, update.key], ['UpdateAsset', 'k-1']);
  plan.done(update, true);
  const second = plan.next();
  assert.deepEqual([second.fn, second.key, second.value], ['UpdateAsset', 'k-1', '4']);
  plan.done(second, true);
  assert.equal(plan.next().fn, 'CreateAsset');
});
