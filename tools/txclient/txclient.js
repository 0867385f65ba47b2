#!/usr/bin/env node
'use strict';
// Transaction client of hlf-ansible: load, verify, smoke and ledger through the peers' Fabric Gateway.
// See README.md and --help.

const fs = require('node:fs');
const { HELP, UsageError, parseOptions } = require('./lib/options');
const { openWriter, readRecords } = require('./lib/records');
const { runLoad } = require('./lib/load');
const { runVerify, runSmoke } = require('./lib/verify');
const { runLedger } = require('./lib/ledger');

/** A check of the load's records: its summary on stdout and, with --summary, in that file. */
async function checkRecords(check, port, options) {
  const { records, badLines } = readRecords(options.out);
  const summary = { ...(await check(port, records, options)), bad_lines: badLines };
  if (options.summary) fs.writeFileSync(options.summary, `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

const MODES = {
  async load(port, options) {
    const writer = openWriter(options.out);
    let signalled = false;
    const stop = () => {
      signalled = true;
    };
    process.once('SIGINT', stop).once('SIGTERM', stop);
    try {
      const stopRequested = () => signalled || (Boolean(options.stopFile) && fs.existsSync(options.stopFile));
      const summary = await runLoad(port, options, writer.write, { stopRequested });
      return { ...summary, out: options.out, ok: summary.failed === 0 };
    } finally {
      writer.close();
    }
  },
  verify: (port, options) => checkRecords(runVerify, port, options),
  smoke: (port, options) => runSmoke(port, options),
  ledger: (port, options) => checkRecords(runLedger, port, options),
};

// A ledger check whose block stream broke off is incomplete: 2, as any run that broke off.
const exitCode = (summary) => (summary.ok ? 0 : summary.broke_off ? 2 : 1);

async function main(argv) {
  let options;
  let port;
  try {
    options = parseOptions(argv);
    if (options.help) {
      process.stdout.write(HELP);
      return 0;
    }
    // Required here, so that --help and argument errors need no node_modules.
    port = require('./lib/fabric').openPort(options);
  } catch (err) {
    process.stderr.write(`txclient: ${err.message}\n${err instanceof UsageError ? 'see --help\n' : ''}`);
    return 2;
  }
  try {
    const summary = await MODES[options.mode](port, options);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return exitCode(summary);
  } finally {
    port.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`txclient: ${err.stack}\n`);
    process.exitCode = 2;
  },
);
