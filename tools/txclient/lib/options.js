'use strict';
// Command line of txclient.js: the mode, the identity, the gateway peers and the bounds.

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');

const HELP = `usage: txclient.js MODE [options]

Transactions of the asset-registry chaincode through the peers' Fabric Gateway.

modes:
  load    CreateAsset then UpdateAsset of the same keys at --rate, round-robin over the channels;
          every submission is one JSON line in --out
  verify  read back (ReadAsset) every key acknowledged in --out; mismatches against the last
          acknowledged write, missing keys
  smoke   one CreateAsset and one ReadAsset on each channel
  ledger  every transaction acknowledged in --out is in the ledger of each --peer (each read on its
          own, filtered blocks from block 0) with validation code VALID

identity and connection:
  --msp-id ID               MSP ID of the identity (required)
  --cert PATH               its certificate (PEM), or a cryptogen MSP directory
                            (signcerts/*.pem, keystore/*_sk) (required)
  --key PATH                its private key (PEM); default: the MSP directory's keystore/*_sk
  --peer HOST:PORT          a gateway peer (repeatable; attempts rotate over the peers) (required)
  --tls-ca PATH             the peers' TLS CA certificate (PEM): one for all, or one per --peer (required)
  --hostname-override NAME  the name in a peer's TLS certificate, when --peer uses another (one per --peer)
  --tls-client-cert PATH    client certificate and key (PEM), for peers that require mutual TLS
  --tls-client-key PATH
  --channel NAME            a channel (repeatable) (required)
  --chaincode NAME          the chaincode (required, except by ledger)

retries and deadlines (seconds):
  --retries N               attempts after the first, per submission or read (default 5)
  --retry-delay S           pause before each retry (default 1)
  --endorse-timeout S       deadline of one endorsement (default 15)
  --submit-timeout S        deadline of one submission to the orderer (default 10)
  --commit-timeout S        deadline of one wait for the commit status (default 60)
  --evaluate-timeout S      deadline of one evaluation (default 10)

load:
  --rate TX/S               submissions offered per second, over all channels (default 10)
  --concurrency N           bound on submissions in flight (default 50; verify: reads in flight)
  --max-tx N                bound on submissions offered (default 1000)
  --max-seconds S           bound on the time submissions are offered (default 300);
                            ledger: on the whole check (default 120)
  --stop-file PATH          offering stops when this file appears (SIGINT/SIGTERM too)
  --updates N               UpdateAsset calls per created key (default 1)
  --key-prefix P            asset keys are P-<n> (default: tx<start time, base 36>)
  --owner NAME              owner of the created assets (default txclient)
  --out FILE                JSON lines, one per submission (load: written; verify, ledger: read)
  --summary FILE            verify, ledger: also write the summary there (pretty JSON)

ledger:
  --idle-seconds S          a peer's channel is read until no block came for S (default 5), unless
                            every transaction, or the block of the last one, was seen before

Ends with one JSON line on stdout. Exit status: 0 all acknowledged / all matched / all in every
ledger, 1 some failed, did not match or are missing, 2 bad arguments, or the run could not start or
broke off (ledger: a peer's block stream).
`;

class UsageError extends Error {}

const MODES = ['load', 'verify', 'smoke', 'ledger'];
// name: [type, default]; strings repeat where the default is an array.
const SPEC = {
  'msp-id': ['string'],
  cert: ['string'],
  key: ['string'],
  peer: ['string', []],
  'tls-ca': ['string', []],
  'hostname-override': ['string', []],
  'tls-client-cert': ['string'],
  'tls-client-key': ['string'],
  channel: ['string', []],
  chaincode: ['string'],
  retries: ['int', 5],
  'retry-delay': ['seconds', 1],
  'endorse-timeout': ['seconds', 15],
  'submit-timeout': ['seconds', 10],
  'commit-timeout': ['seconds', 60],
  'evaluate-timeout': ['seconds', 10],
  rate: ['positive', 10],
  concurrency: ['count', 50],
  'max-tx': ['count', 1000],
  'max-seconds': ['positive', 300],
  'idle-seconds': ['positive', 5],
  'stop-file': ['string'],
  updates: ['int', 1],
  'key-prefix': ['string'],
  owner: ['string', 'txclient'],
  out: ['string'],
  summary: ['string'],
};
const REQUIRED = ['msp-id', 'cert', 'peer', 'tls-ca', 'channel', 'chaincode'];
// The ledger check reads blocks, not chaincode, and has a bound of its own.
const MODE_DEFAULTS = { ledger: { 'max-seconds': 120 } };
const MODE_REQUIRED = { load: ['out'], verify: ['out'], ledger: ['out'] };

function number(name, type, text) {
  const value = Number(text);
  const integer = type === 'int' || type === 'count';
  const ok = Number.isFinite(value) && (!integer || Number.isInteger(value)) && (type === 'int' || type === 'seconds' ? value >= 0 : value > 0);
  if (!ok) {
    const what = { int: 'an integer >= 0', count: 'an integer >= 1', seconds: 'a number >= 0', positive: 'a number > 0' }[type];
    throw new UsageError(`--${name} must be ${what}, got '${text}'`);
  }
  return value;
}

const camel = (name) => name.replace(/-(.)/g, (_, letter) => letter.toUpperCase());

/** argv (without node and the script) -> options with camelCase names; throws UsageError. */
function parseOptions(argv, now = Date.now()) {
  const parseOpts = { help: { type: 'boolean' } };
  for (const [name, [, fallback]] of Object.entries(SPEC)) parseOpts[name] = { type: 'string', multiple: Array.isArray(fallback) };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: parseOpts, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err.message);
  }
  if (parsed.values.help) return { help: true };
  const [mode, ...extra] = parsed.positionals;
  if (!MODES.includes(mode) || extra.length) throw new UsageError(`give one mode: ${MODES.join(', ')}`);
  const options = { mode };
  for (const [name, [type, fallback]] of Object.entries(SPEC)) {
    const given = parsed.values[name];
    const modeFallback = MODE_DEFAULTS[mode]?.[name] ?? fallback;
    options[camel(name)] = given === undefined ? modeFallback : type === 'string' ? given : number(name, type, given);
  }
  const absent = (value) => value === undefined || (Array.isArray(value) && !value.length);
  const required = [...REQUIRED.filter((name) => mode !== 'ledger' || name !== 'chaincode'), ...(MODE_REQUIRED[mode] || [])];
  const missing = required.filter((name) => absent(options[camel(name)]));
  if (missing.length) throw new UsageError(`missing: ${missing.map((name) => `--${name}`).join(', ')}`);
  const peers = options.peer.length;
  if (options.tlsCa.length !== 1 && options.tlsCa.length !== peers) throw new UsageError(`give one --tls-ca, or one per --peer (${peers})`);
  if (options.hostnameOverride.length && options.hostnameOverride.length !== peers) {
    throw new UsageError(`give one --hostname-override per --peer (${peers})`);
  }
  if (!options.tlsClientCert !== !options.tlsClientKey) throw new UsageError('--tls-client-cert and --tls-client-key go together');
  if (new Set(options.channel).size !== options.channel.length) throw new UsageError('a --channel is given twice');
  options.keyPrefix ??= `tx${now.toString(36)}`;
  return options;
}

/** The certificate and key files of --cert/--key, --cert being a PEM file or a cryptogen MSP directory. */
function identityFiles(cert, key) {
  if (!fs.statSync(cert).isDirectory()) {
    if (!key) throw new UsageError('--key is required when --cert is a file');
    return { certPath: cert, keyPath: key };
  }
  const first = (dir, suffix) => {
    const names = fs.readdirSync(path.join(cert, dir)).filter((name) => name.endsWith(suffix)).sort();
    if (!names.length) throw new UsageError(`${path.join(cert, dir)} has no *${suffix} file`);
    return path.join(cert, dir, names[0]);
  };
  return { certPath: first('signcerts', '.pem'), keyPath: key || first('keystore', '_sk') };
}

module.exports = { HELP, UsageError, parseOptions, identityFiles };
