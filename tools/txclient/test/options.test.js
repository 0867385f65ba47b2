'use strict';
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { parseOptions, identityFiles, UsageError } = require('../lib/options');

const BASE = ['--msp-id', 'Org1MSP', '--cert', 'msp', '--peer', 'peer0:7051', '--tls-ca', 'ca.pem', '--channel', 'channel1', '--chaincode', 'assets'];

test('a load command line: repeatable options, numbers, defaults', () => {
  const argv = ['load', ...BASE, '--peer', 'peer1:7051', '--channel', 'channel2', '--rate', '12.5', '--concurrency', '8'];
  const options = parseOptions([...argv, '--max-tx', '500', '--max-seconds', '90', '--stop-file', '/tmp/stop', '--out', 'load.jsonl'], 36 ** 3);
  assert.equal(options.mode, 'load');
  assert.deepEqual(options.peer, ['peer0:7051', 'peer1:7051']);
  assert.deepEqual(options.channel, ['channel1', 'channel2']);
  assert.deepEqual(options.tlsCa, ['ca.pem']);
  assert.deepEqual(options.hostnameOverride, []);
  assert.equal(options.rate, 12.5);
  assert.equal(options.concurrency, 8);
  assert.equal(options.maxTx, 500);
  assert.equal(options.maxSeconds, 90);
  assert.equal(options.stopFile, '/tmp/stop');
  assert.equal(options.out, 'load.jsonl');
  assert.equal(options.retries, 5);
  assert.equal(options.retryDelay, 1);
  assert.equal(options.commitTimeout, 60);
  assert.equal(options.updates, 1);
  assert.equal(options.owner, 'txclient');
  assert.equal(options.keyPrefix, 'tx1000');
});

test('--help needs nothing else', () => {
  assert.deepEqual(parseOptions(['--help']), { help: true });
});

test('smoke needs no --out; load and verify do', () => {
  assert.equal(parseOptions(['smoke', ...BASE]).mode, 'smoke');
  assert.throws(() => parseOptions(['verify', ...BASE]), { message: 'missing: --out' });
});

test('ledger: no --chaincode needed, --out is; its own --max-seconds default; --idle-seconds', () => {
  const connection = BASE.slice(0, -2);
  const options = parseOptions(['ledger', ...connection, '--out', 'load.jsonl']);
  assert.deepEqual([options.mode, options.chaincode, options.maxSeconds, options.idleSeconds], ['ledger', undefined, 120, 5]);
  const given = parseOptions(['ledger', ...BASE, '--out', 'x', '--max-seconds', '30', '--idle-seconds', '0.5']);
  assert.deepEqual([given.chaincode, given.maxSeconds, given.idleSeconds], ['assets', 30, 0.5]);
  assert.equal(parseOptions(['load', ...BASE, '--out', 'x']).maxSeconds, 300);
  assert.throws(() => parseOptions(['ledger', ...connection]), { message: 'missing: --out' });
  assert.throws(() => parseOptions(['verify', ...connection, '--out', 'x']), { message: 'missing: --chaincode' });
  assert.throws(() => parseOptions(['ledger', ...BASE, '--out', 'x', '--idle-seconds', '0']), /--idle-seconds must be a number > 0, got '0'/);
});

const refusals = [
  [[], /give one mode/],
  [['bench', ...BASE], /give one mode/],
  [['smoke', ...BASE, 'extra'], /give one mode/],
  [['smoke', '--msp-id', 'Org1MSP'], /missing: --cert, --peer, --tls-ca, --channel, --chaincode/],
  [['smoke', ...BASE, '--no-such-flag'], /Unknown option '--no-such-flag'/],
  [['load', ...BASE, '--out', 'x', '--rate', '0'], /--rate must be a number > 0, got '0'/],
  [['load', ...BASE, '--out', 'x', '--max-tx', '2.5'], /--max-tx must be an integer >= 1, got '2.5'/],
  [['load', ...BASE, '--out', 'x', '--retries=-1'], /--retries must be an integer >= 0/],
  [['load', ...BASE, '--out', 'x', '--retry-delay', 'soon'], /--retry-delay must be a number >= 0/],
  [['smoke', ...BASE, '--peer', 'p1:7051', '--peer', 'p2:7051', '--tls-ca', 'b.pem'], /one --tls-ca, or one per --peer \(3\)/],
  [['smoke', ...BASE, '--peer', 'p1:7051', '--hostname-override', 'peer0'], /one --hostname-override per --peer \(2\)/],
  [['smoke', ...BASE, '--tls-client-cert', 'c.pem'], /go together/],
  [['smoke', ...BASE, '--channel', 'channel1'], /a --channel is given twice/],
];
for (const [argv, message] of refusals) {
  test(`refused: ${argv.join(' ') || '(nothing)'}`, () => {
    assert.throws(() => parseOptions(argv), (err) => err instanceof UsageError && message.test(err.message));
  });
}

test('--cert as a cryptogen MSP directory: signcerts/*.pem and keystore/*_sk', () => {
  const msp = fs.mkdtempSync(path.join(os.tmpdir(), 'msp-'));
  fs.mkdirSync(path.join(msp, 'signcerts'));
  fs.mkdirSync(path.join(msp, 'keystore'));
  fs.writeFileSync(path.join(msp, 'signcerts', 'User1@org1.example.com-cert.pem'), 'cert');
  fs.writeFileSync(path.join(msp, 'keystore', 'priv_sk'), 'key');
  assert.deepEqual(identityFiles(msp), { certPath: path.join(msp, 'signcerts', 'User1@org1.example.com-cert.pem'), keyPath: path.join(msp, 'keystore', 'priv_sk') });
  assert.equal(identityFiles(msp, '/other/key.pem').keyPath, '/other/key.pem');
  fs.rmSync(path.join(msp, 'keystore', 'priv_sk'));
  assert.throws(() => identityFiles(msp), /keystore has no \*_sk file/);
  const pem = path.join(msp, 'signcerts', 'User1@org1.example.com-cert.pem');
  assert.deepEqual(identityFiles(pem, 'key.pem'), { certPath: pem, keyPath: 'key.pem' });
  assert.throws(() => identityFiles(pem), /--key is required when --cert is a file/);
  fs.rmSync(msp, { recursive: true });
});
