// UUID parsing shared by every ledger rule: canonical text in either case, lower case out, and
// the nil and max UUIDs refused.
import { expect } from 'chai';
import { normalizeUuid, parseUuid } from '../../src/domain/index.js';
import { MAX_UUID, NIL_UUID } from './fixtures.js';

const V7 = '01890a5d-ac96-774b-bcce-b302099a8057';

describe('parseUuid', () => {
  it('accepts a canonical UUID and keeps it lower case', () => {
    expect(parseUuid(V7)).to.equal(V7);
  });

  it('accepts upper and mixed case and answers lower case', () => {
    expect(parseUuid(V7.toUpperCase())).to.equal(V7);
    expect(parseUuid('01890A5D-ac96-774B-bcce-B302099a8057')).to.equal(V7);
  });

  it('refuses the nil and max UUIDs in either case', () => {
    for (const text of [NIL_UUID, MAX_UUID, MAX_UUID.toUpperCase()]) {
      expect(parseUuid(text), text).to.equal(undefined);
    }
  });

  it('refuses text that is not the canonical 8-4-4-4-12 form', () => {
    const refused = [
      '',
      V7.replaceAll('-', ''),
      `{${V7}}`,
      `urn:uuid:${V7}`,
      ` ${V7}`,
      `${V7}\n`,
      V7.replace('a', 'g'),
      V7.slice(0, -1),
      `${V7}0`,
    ];
    for (const text of refused) expect(parseUuid(text), JSON.stringify(text)).to.equal(undefined);
  });
});

describe('normalizeUuid', () => {
  it('lower-cases UUID text, nil and max included, and leaves anything else unchanged', () => {
    expect(normalizeUuid(V7.toUpperCase())).to.equal(V7);
    expect(normalizeUuid(MAX_UUID.toUpperCase())).to.equal(MAX_UUID);
    expect(normalizeUuid('Not-A-UUID')).to.equal('Not-A-UUID');
    expect(normalizeUuid('')).to.equal('');
  });
});
