'use strict';
// The hosts run Debian bookworm's nodejs 18.20.4: every locked package must accept Node 18.12.
const assert = require('node:assert/strict');
const { test } = require('node:test');
const lock = require('../package-lock.json');

const parse = (text) => text.replace(/^v/, '').split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : null));
const cmp = (a, b) => {
  for (let index = 0; index < 3; index += 1) if ((a[index] ?? 0) !== (b[index] ?? 0)) return (a[index] ?? 0) - (b[index] ?? 0);
  return 0;
};

/** Does `version` satisfy `range`? Knows what npm engines use: ||, >= > <= < =, ^, ~, x-ranges. */
function satisfies(version, range) {
  const have = parse(version);
  return range.split('||').some((alternative) =>
    alternative.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).every((comparator) => {
      const [, op, text] = /^(>=|<=|>|<|=|\^|~)?(\d+(?:\.(?:\d+|\*|x))*)$/.exec(comparator) || assert.fail(`cannot read '${comparator}' in '${range}'`);
      const want = parse(text);
      const fixed = want.findIndex((part) => part === null);
      const length = fixed === -1 ? want.length : fixed; // of an x-range (10.*), only the leading parts count
      if (!op || op === '=') return have.slice(0, length).every((part, index) => part === want[index]);
      if (op === '^' || op === '~') {
        const keep = (op === '^' ? Math.max(want.findIndex((part) => part !== 0), 0) : Math.min(1, length - 1)) + 1;
        return cmp(have, want) >= 0 && want.slice(0, keep).every((part, index) => have[index] === part);
      }
      return { '>=': cmp(have, want) >= 0, '>': cmp(have, want) > 0, '<=': cmp(have, want) <= 0, '<': cmp(have, want) < 0 }[op];
    }),
  );
}

test('the range reader itself', () => {
  const cases = [['18.12.0', '>=18.12.0', true], ['18.11.9', '>=18.12.0', false], ['18.12.0', '^14.21.3 || >=16', true],
    ['15.0.0', '^14.21.3 || >=16', false], ['14.22.0', '^14.21.3', true], ['18.12.0', '6.* || 8.* || >= 10.*', true],
    ['9.1.0', '6.* || 8.* || >= 10.*', false], ['18.12.0', '>=20.9.0', false], ['18.12.0', '>=16 <19', true], ['19.0.0', '>=16 <19', false],
    ['1.2.9', '~1.2.3', true], ['1.3.0', '~1.2.3', false], ['0.3.9', '^0.3.1', true], ['0.4.0', '^0.3.1', false]];
  for (const [version, range, expected] of cases) assert.equal(satisfies(version, range), expected, `${version} ${range}`);
});

test('every package of package-lock.json runs on Node 18.12 and 18.20.4', () => {
  const refusing = Object.entries(lock.packages)
    .filter(([, meta]) => meta.engines && meta.engines.node)
    .filter(([, meta]) => !satisfies('18.12.0', meta.engines.node) || !satisfies('18.20.4', meta.engines.node))
    .map(([name, meta]) => `${name || 'txclient'} ${meta.version}: node ${meta.engines.node}`);
  assert.deepEqual(refusing, []);
  assert.equal(lock.packages['node_modules/@hyperledger/fabric-gateway'].version, '1.7.1');
});
