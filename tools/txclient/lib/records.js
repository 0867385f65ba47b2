'use strict';
// The load's records: one JSON object per submission, one line each, written as each one ends.

const fs = require('node:fs');

/** Epoch seconds with millisecond resolution. */
const seconds = (ms) => (ms === null ? null : Math.round(ms) / 1000);

function toRecord({ channel, key, value, fn }, result) {
  return {
    channel,
    key,
    value,
    fn,
    tx_id: result.txId,
    tx_ids: result.txIds,
    attempts: result.attempts,
    first_attempt_error: result.firstAttemptError,
    ok: result.ok,
    status: result.status,
    status_code: result.statusCode,
    block_number: result.blockNumber,
    submitted: seconds(result.submitted),
    acknowledged: seconds(result.acknowledged),
    error: result.error,
  };
}

/** A JSON-lines file; each write goes to the file at once (a reader sees every finished submission). */
function openWriter(file) {
  const fd = fs.openSync(file, 'w');
  return {
    write: (record) => fs.writeSync(fd, `${JSON.stringify(record)}\n`),
    close: () => fs.closeSync(fd),
  };
}

/** -> {records, badLines}: a line cut short (a run still writing, or killed) is counted, not fatal. */
function readRecords(file) {
  const records = [];
  let badLines = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      badLines += 1;
    }
  }
  return { records, badLines };
}

module.exports = { seconds, toRecord, openWriter, readRecords };
