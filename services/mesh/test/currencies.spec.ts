// The ISO 4217 table every service validates currencies with: active codes are accepted with
// their minor units, case matters, and X-codes that are not the money of a country or a monetary
// union are refused.
import { expect } from 'chai';
import { CURRENCY_CODES, isCurrencyCode, minorUnits } from '../src/currencies.js';

describe('ISO 4217 currencies', () => {
  it('accepts the major currencies with their minor units', () => {
    const expected: Record<string, number> = {
      USD: 2,
      EUR: 2,
      GBP: 2,
      CHF: 2,
      JPY: 0,
      KRW: 0,
      CNY: 2,
      INR: 2,
      BRL: 2,
    };
    for (const [code, digits] of Object.entries(expected)) {
      expect(isCurrencyCode(code), code).to.equal(true);
      expect(minorUnits(code), code).to.equal(digits);
    }
  });

  it('knows the currencies whose minor unit is not hundredths', () => {
    const expected: Record<string, number> = {
      BHD: 3,
      IQD: 3,
      JOD: 3,
      KWD: 3,
      LYD: 3,
      OMR: 3,
      TND: 3,
      CLF: 4,
      UYW: 4,
      BIF: 0,
      CLP: 0,
      DJF: 0,
      GNF: 0,
      ISK: 0,
      KMF: 0,
      PYG: 0,
      RWF: 0,
      UGX: 0,
      UYI: 0,
      VND: 0,
      VUV: 0,
      XAF: 0,
      XOF: 0,
      XPF: 0,
    };
    for (const [code, digits] of Object.entries(expected)) {
      expect(minorUnits(code), code).to.equal(digits);
    }
  });

  it('accepts the regional currencies of monetary unions', () => {
    for (const code of ['XAF', 'XOF', 'XCD', 'XPF', 'XCG']) {
      expect(isCurrencyCode(code), code).to.equal(true);
    }
  });

  it('refuses the X-codes that are not money: no currency, testing, metals, units of account', () => {
    const refused = ['XXX', 'XTS', 'XAU', 'XAG', 'XPT', 'XPD', 'XDR', 'XBA', 'XBB', 'XBC', 'XBD'];
    for (const code of [...refused, 'XSU', 'XUA']) {
      expect(isCurrencyCode(code), code).to.equal(false);
      expect(minorUnits(code), code).to.equal(undefined);
    }
  });

  it('refuses lower case, padding, and codes that are not three letters', () => {
    for (const text of ['usd', 'Usd', ' USD', 'USD ', 'US', 'USDD', '', '840', 'U$D']) {
      expect(isCurrencyCode(text), JSON.stringify(text)).to.equal(false);
    }
  });

  it('refuses withdrawn currencies', () => {
    for (const code of ['HRK', 'ANG', 'ZWL', 'SLL', 'VEF', 'MRO', 'STD', 'LTL', 'DEM', 'FRF']) {
      expect(isCurrencyCode(code), code).to.equal(false);
    }
  });

  it('lists every accepted code once, upper case, in alphabetical order', () => {
    expect(CURRENCY_CODES.length).to.be.within(150, 170);
    expect(new Set(CURRENCY_CODES).size).to.equal(CURRENCY_CODES.length);
    expect([...CURRENCY_CODES].sort()).to.deep.equal(CURRENCY_CODES);
    for (const code of CURRENCY_CODES) {
      expect(code).to.match(/^[A-Z]{3}$/);
      expect([0, 2, 3, 4]).to.include(minorUnits(code));
    }
  });
});
