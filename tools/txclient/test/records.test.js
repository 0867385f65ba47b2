'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { seconds, toRecord, openWriter, readRecords } = require('../lib/records');

const OP = { channel: 'c1', key: 'k-1', value: '1', fn: 'CreateAsset', args: ['k-1', 'me', '1'] };
const RESULT = {
  ok: true, txId: 'ab12', txIds: ['ab12'], attempts: 2, firstAttemptError: 'Error: 14 UNAVAILABLE', error: null,
  status: 'VALID', statusCode: 0, blockNumber: 7, submitted: 1_700_000_000_123, acknowledged: 1_700_000_002_456,
};

test('a record has every field, times in epoch seconds with ms resolution', () => {
  assert.deepEqual(toRecord(OP, RESULT), {
    channel: 'c1', key: 'k-1', value: '1', fn: 'CreateAsset', tx_id: 'ab12', tx_ids: ['ab12'], attempts: 2,
    first_attempt_error: 'Error: 14 UNAVAILABLE', ok: true, status: 'VALID', status_code: 0, block_number: 7,
    submitted: 1_700_000_000.123, acknowledged: 1_700_000_002.456, error: null,
  });
  assert.equal(seconds(null), null);
  assert.equal(String(seconds(1_733_000_000_001)), '1733000000.001');
});

test('each record is in the file as soon as it is written; a cut line is counted, not fatal', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'records-')), 'load.jsonl');
  const writer = openWriter(file);
  writer.write(toRecord(OP, RESULT));
  assert.equal(fs.readFileSync(file, 'utf8').split('\n').length, 2); // before close: a reader sees it
  writer.write(toRecord({ ...OP, key: 'k-2' }, { ...RESULT, ok: false, acknowledged: null }));
  writer.close();
  fs.appendFileSync(file, '{"channel": "c1", "ke');
  const { records, badLines } = readRecords(file);
  assert.deepEqual(records.map((record) => [record.key, record.ok]), [['k-1', true], ['k-2', false]]);
  assert.equal(badLines, 1);
  fs.rmSync(path.dirname(file), { recursive: true });
});
