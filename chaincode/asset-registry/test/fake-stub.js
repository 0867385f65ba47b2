'use strict';

// A small in-memory stand-in for the chaincode stub (fabric-shim's ChaincodeStub), written for the
// asset registry's unit tests. It keeps what matters to the contract's logic:
//   - committed state is a Map of key -> bytes; a transaction's writes are buffered and applied only
//     when it succeeds, and (as in Fabric) a transaction does not read its own writes;
//   - getStateByRange/getQueryResult return what the shim returns: a promise that is also an async
//     iterable of {key, value}; range queries run in byte order, start inclusive, end exclusive;
//   - stateDatabase 'goleveldb' refuses rich queries with the peer's own error text; 'couchdb'
//     answers selectors of equality conditions on top-level fields;
//   - a rich query's order is not guaranteed (CouchDB gives no order without a sort): with
//     queryOrder 'insertion' results come in the order the keys were first written;
//   - readOrder 'reversed' hands back JSON documents with their keys in reverse order (a state
//     database may re-serialize a document), to prove the contract re-encodes records itself;
//   - every call is logged, so tests can tell which query ran and whether anything was written.

function compareBytes(a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function asyncResults(promise) {
  // The shim's convention: `await` gives an iterator ({next, close}); `for await` iterates.
  const iterable = promise.then((entries) => {
    let index = 0;
    return {
      async next() {
        if (index < entries.length) return { value: entries[index++], done: false };
        return { value: undefined, done: true };
      },
      async close() {},
    };
  });
  iterable[Symbol.asyncIterator] = () => {
    let iterator;
    return {
      async next() {
        iterator = iterator || (await iterable);
        return iterator.next();
      },
      async return() {
        if (iterator) await iterator.close();
        return { value: undefined, done: true };
      },
    };
  };
  return iterable;
}

class FakeLedger {
  constructor({ stateDatabase = 'goleveldb', readOrder = 'stored', queryOrder = 'key', failRichQueries = null } = {}) {
    if (!['goleveldb', 'couchdb'].includes(stateDatabase)) throw new Error(`unknown state database ${stateDatabase}`);
    this.stateDatabase = stateDatabase;
    this.readOrder = readOrder;
    this.queryOrder = queryOrder;
    this.failRichQueries = failRichQueries;
    this.state = new Map();
  }

  // Bytes as a state database hands them back.
  present(bytes) {
    if (this.readOrder !== 'reversed') return Buffer.from(bytes);
    let doc;
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch {
      return Buffer.from(bytes);
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return Buffer.from(bytes);
    const reversed = {};
    for (const key of Object.keys(doc).reverse()) reversed[key] = doc[key];
    return Buffer.from(JSON.stringify(reversed));
  }

  sortedKeys() {
    return [...this.state.keys()].sort(compareBytes);
  }

  // Runs fn(stub) as one transaction: its writes are committed only if it does not throw.
  async transact(fn) {
    const stub = new FakeStub(this);
    const result = await fn(stub);
    for (const [key, value] of stub.writes) {
      if (value === null) this.state.delete(key);
      else this.state.set(key, value);
    }
    return { result, writes: stub.writes, calls: stub.calls };
  }
}

class FakeStub {
  constructor(ledger) {
    this.ledger = ledger;
    this.writes = new Map();
    this.calls = [];
  }

  static checkKey(key) {
    if (typeof key !== 'string' || key.length === 0) throw new Error('key must not be an empty string');
    if (key.startsWith('\u0000')) throw new Error('composite keys are not simple keys');
  }

  getTxID() {
    return 'fake-tx';
  }

  getChannelID() {
    return 'fake-channel';
  }

  async getState(key) {
    this.calls.push(['getState', key]);
    FakeStub.checkKey(key);
    const bytes = this.ledger.state.get(key);
    return bytes ? this.ledger.present(bytes) : Buffer.alloc(0);
  }

  async putState(key, value) {
    this.calls.push(['putState', key]);
    FakeStub.checkKey(key);
    if (!Buffer.isBuffer(value)) throw new Error('value must be a Buffer');
    this.writes.set(key, Buffer.from(value));
  }

  async deleteState(key) {
    this.calls.push(['deleteState', key]);
    FakeStub.checkKey(key);
    this.writes.set(key, null);
  }

  getStateByRange(startKey, endKey) {
    this.calls.push(['getStateByRange', startKey, endKey]);
    const ledger = this.ledger;
    const entries = ledger
      .sortedKeys()
      .filter((key) => (!startKey || compareBytes(key, startKey) >= 0) && (!endKey || compareBytes(key, endKey) < 0))
      .map((key) => ({ key, value: ledger.present(ledger.state.get(key)) }));
    return asyncResults(Promise.resolve(entries));
  }

  getQueryResult(query) {
    this.calls.push(['getQueryResult', query]);
    const ledger = this.ledger;
    if (ledger.stateDatabase === 'goleveldb') {
      return asyncResults(Promise.reject(new Error('ExecuteQuery not supported for leveldb')));
    }
    if (ledger.failRichQueries) {
      return asyncResults(Promise.reject(new Error(ledger.failRichQueries)));
    }
    let selector;
    try {
      ({ selector } = JSON.parse(query));
    } catch (err) {
      return asyncResults(Promise.reject(new Error(`invalid query: ${err.message}`)));
    }
    if (!selector || typeof selector !== 'object') {
      return asyncResults(Promise.reject(new Error('query has no selector')));
    }
    const matches = (bytes) => {
      let doc;
      try {
        doc = JSON.parse(bytes.toString('utf8'));
      } catch {
        return false;
      }
      return Object.entries(selector).every(([field, wanted]) => doc && doc[field] === wanted);
    };
    const keys = ledger.queryOrder === 'insertion' ? [...ledger.state.keys()] : ledger.sortedKeys();
    const entries = keys
      .filter((key) => matches(ledger.state.get(key)))
      .map((key) => ({ key, value: ledger.present(ledger.state.get(key)) }));
    return asyncResults(Promise.resolve(entries));
  }
}

module.exports = { FakeLedger, FakeStub };
