// UUIDv5 against RFC 9562's own example, and the properties re-drives rely on.
import { expect } from 'chai';
import { parseUuid, uuidv5 } from '../src/uuid.js';

const dnsNamespace = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

describe('uuidv5', () => {
  it('matches the RFC 9562 test vector (DNS namespace, www.example.com)', () => {
    expect(uuidv5(dnsNamespace, 'www.example.com')).to.equal(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('is deterministic, canonical, version 5, and differs by name and namespace', () => {
    const id = uuidv5(dnsNamespace, 'payment:1:authorize');
    expect(uuidv5(dnsNamespace.toUpperCase(), 'payment:1:authorize')).to.equal(id);
    expect(parseUuid(id)).to.equal(id);
    expect(id[14]).to.equal('5');
    expect(['8', '9', 'a', 'b']).to.include(id[19]);
    expect(uuidv5(dnsNamespace, 'payment:1:capture')).to.not.equal(id);
    expect(uuidv5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'payment:1:authorize')).to.not.equal(id);
  });

  it('refuses a namespace that is not a UUID', () => {
    expect(() => uuidv5('not-a-uuid', 'x')).to.throw(/namespace/);
  });
});
