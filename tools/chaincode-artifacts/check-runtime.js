#!/usr/bin/env node
// Checks an installed chaincode runtime before ./hlf setup packs it:
//   node check-runtime.js DIR TARGET_NODE_VERSION SHIM_VERSION
// DIR holds node_modules/. Exits non-zero, naming the package, when
//   - fabric-shim or fabric-contract-api is not exactly SHIM_VERSION or does not load;
//   - a package's "engines.node" range does not admit TARGET_NODE_VERSION (the hosts' nodejs,
//     Debian bookworm's 18.20.4), or uses a range syntax this script cannot evaluate;
//   - a package would need a native build (binding.gyp) or an install script we skipped;
//   - fabric-contract-api cannot serialize an object result (a class-transformer without classToPlain).
// Written for this project; deliberately dependency-free (the runtime has no semver package).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

function parseVersion(text) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`not a version: ${text}`);
  return m.slice(1, 4).map(Number);
}

function compare(a, b) {
  for (let i = 0; i < 3; i += 1) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

// One comparator ("", "*", "x", ">=12", "<1.2.3", "=4", "8", "8.x", "6.*", "^1.2.0", "~1.2.0"):
// returns a predicate over [major, minor, patch].
function comparator(raw) {
  const text = raw.trim();
  if (text === '' || text === '*' || text === 'x' || text === 'X') return () => true;
  const m = /^(>=|<=|>|<|=|\^|~)?\s*v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/.exec(text);
  if (!m) throw new Error(`cannot evaluate range part '${raw}'`);
  const op = m[1] || '=';
  const parts = [m[2], m[3], m[4]];
  const wild = parts.findIndex((p) => p === undefined || /^[xX*]$/.test(p));
  const nums = parts.map((p) => (p === undefined || /^[xX*]$/.test(p) ? 0 : Number(p)));
  if (wild === 0) return () => true;
  if (wild > 0 && op === '=') {
    // "8", "8.x", "8.1.*": the same leading parts.
    return (v) => v.slice(0, wild).every((n, i) => n === nums[i]);
  }
  const base = nums;
  switch (op) {
    case '>=':
      return (v) => compare(v, base) >= 0;
    case '>':
      if (wild > 0) {
        const next = base.slice();
        next[wild - 1] += 1;
        for (let i = wild; i < 3; i += 1) next[i] = 0;
        return (v) => compare(v, next) >= 0;
      }
      return (v) => compare(v, base) > 0;
    case '<':
      return (v) => compare(v, base) < 0;
    case '<=':
      if (wild > 0) {
        const next = base.slice();
        next[wild - 1] += 1;
        for (let i = wild; i < 3; i += 1) next[i] = 0;
        return (v) => compare(v, next) < 0;
      }
      return (v) => compare(v, base) <= 0;
    case '=':
      return (v) => compare(v, base) === 0;
    case '^': {
      const upper = base[0] > 0 ? [base[0] + 1, 0, 0] : base[1] > 0 ? [0, base[1] + 1, 0] : [0, 0, base[2] + 1];
      return (v) => compare(v, base) >= 0 && compare(v, upper) < 0;
    }
    case '~': {
      const upper = wild === 1 ? [base[0] + 1, 0, 0] : [base[0], base[1] + 1, 0];
      return (v) => compare(v, base) >= 0 && compare(v, upper) < 0;
    }
    default:
      throw new Error(`cannot evaluate range part '${raw}'`);
  }
}

// A range: alternatives separated by "||", each a space-separated conjunction
// ("a - b" hyphen ranges are refused rather than guessed).
function satisfies(version, range) {
  const v = parseVersion(version);
  return range.split('||').some((alternative) => {
    if (/\s-\s/.test(alternative)) throw new Error(`cannot evaluate hyphen range '${alternative.trim()}'`);
    const parts = alternative
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .split(/\s+/);
    return parts.every((part) => comparator(part)(v));
  });
}

function packageDirs(nodeModules) {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        walk(full);
        continue;
      }
      if (fs.existsSync(path.join(full, 'package.json'))) found.push(full);
      const nested = path.join(full, 'node_modules');
      if (fs.existsSync(nested)) walk(nested);
    }
  };
  walk(nodeModules);
  return found.sort();
}

function main() {
  const [dir, target, shimVersion] = process.argv.slice(2);
  if (!dir || !target || !shimVersion) {
    console.error('usage: check-runtime.js DIR TARGET_NODE_VERSION SHIM_VERSION');
    process.exit(2);
  }
  const nodeModules = path.resolve(dir, 'node_modules');
  const faults = [];
  const dirs = packageDirs(nodeModules);
  for (const pkgDir of dirs) {
    const name = path.relative(nodeModules, pkgDir);
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
    const range = pkg.engines && pkg.engines.node;
    if (typeof range === 'string') {
      try {
        if (!satisfies(target, range)) faults.push(`${name}@${pkg.version}: engines.node '${range}' does not admit Node ${target}`);
      } catch (err) {
        faults.push(`${name}@${pkg.version}: engines.node '${range}': ${err.message}`);
      }
    }
    if (fs.existsSync(path.join(pkgDir, 'binding.gyp'))) faults.push(`${name}@${pkg.version}: needs a native build (binding.gyp)`);
    const scripts = pkg.scripts || {};
    for (const hook of ['preinstall', 'install', 'postinstall']) {
      // protobufjs' postinstall only warns about version schemes of dependent CLIs: safe to skip.
      if (scripts[hook] && !(name === 'protobufjs' && scripts[hook] === 'node scripts/postinstall')) {
        faults.push(`${name}@${pkg.version}: has a ${hook} script we skip (--ignore-scripts): ${scripts[hook]}`);
      }
    }
  }
  for (const name of ['fabric-shim', 'fabric-contract-api']) {
    try {
      const version = require(path.join(nodeModules, name, 'package.json')).version;
      if (version !== shimVersion) faults.push(`${name} is ${version}, expected ${shimVersion}`);
      require(path.join(nodeModules, name));
    } catch (err) {
      faults.push(`${name} does not load: ${err.message}`);
    }
  }
  // A contract's non-string results go through class-transformer's classToPlain, which a
  // release in fabric-contract-api's range (0.4.1) does not have: every such call would fail.
  try {
    const Serializer = require(path.join(nodeModules, 'fabric-contract-api', 'lib', 'jsontransactionserializer.js'));
    const encoded = new Serializer().toBuffer({ probe: [1] }).toString();
    if (encoded !== '{"probe":[1]}') faults.push(`fabric-contract-api serializes an object as ${encoded}`);
  } catch (err) {
    faults.push(`fabric-contract-api cannot serialize an object result: ${err.message}`);
  }
  if (faults.length) {
    console.error(`the chaincode runtime in ${dir} is not usable on Node ${target}:\n  - ${faults.join('\n  - ')}`);
    process.exit(1);
  }
  console.log(`${dirs.length} packages; engines admit Node ${target}; fabric-shim and fabric-contract-api ${shimVersion} load`);
}

if (require.main === module) main();
module.exports = { satisfies };
