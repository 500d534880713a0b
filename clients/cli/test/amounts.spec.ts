// Amounts as operators type them: decimal major units become exact bigint minor units by the
// currency's ISO 4217 digits (never through a JS number), and anything ambiguous is refused.
import { expect } from 'chai';
import { amountMinorMax, formatAmount, parseAmount, type AmountOptions } from '../src/amounts.js';
import { UsageError } from '../src/usage-error.js';

const amount: AmountOptions = { flag: '--amount' };

function refusal(text: string, currency: string, options = amount): string {
  try {
    parseAmount(text, currency, options);
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return (error as UsageError).message;
  }
  throw new Error(`${text} ${currency} was accepted`);
}

describe('CLI amounts', () => {
  it('parses decimal major units into minor units by the currency', () => {
    expect(parseAmount('12.34', 'EUR', amount)).to.equal(1234n);
    expect(parseAmount('12.3', 'EUR', amount)).to.equal(1230n);
    expect(parseAmount('12', 'EUR', amount)).to.equal(1200n);
    expect(parseAmount('0.01', 'EUR', amount)).to.equal(1n);
    expect(parseAmount('100', 'JPY', amount)).to.equal(100n);
    expect(parseAmount('1.5', 'KWD', amount)).to.equal(1500n);
    expect(parseAmount('0.0001', 'CLF', amount)).to.equal(1n);
  });

  it('takes whole minor units with --minor', () => {
    expect(parseAmount('1234', 'EUR', { ...amount, minor: true })).to.equal(1234n);
    expect(refusal('12.34', 'EUR', { ...amount, minor: true })).to.match(/whole number/);
  });

  it('is exact up to 2^63−1 minor units and refuses one more', () => {
    expect(parseAmount('92233720368547758.07', 'EUR', amount)).to.equal(amountMinorMax);
    expect(parseAmount('9223372036854775807', 'JPY', amount)).to.equal(amountMinorMax);
    expect(parseAmount('90071992547409.93', 'EUR', amount)).to.equal(9007199254740993n);
    expect(refusal('92233720368547758.08', 'EUR')).to.match(/largest amount/);
    expect(refusal('99999999999999999999999', 'JPY')).to.match(/largest amount/);
  });

  it('refuses more decimals than the currency has', () => {
    expect(refusal('12.345', 'EUR')).to.equal('--amount 12.345: EUR has 2 decimal places, not 3');
    expect(refusal('100.5', 'JPY')).to.match(/JPY has 0 decimal places/);
    expect(refusal('12.340', 'EUR')).to.match(/not 3/);
  });

  it('refuses signs, exponents, separators, empty parts and zero', () => {
    for (const text of ['-5', '+5', '1e3', '1,000', '12.', '.5', '', ' 12', 'NaN', '0x10']) {
      expect(refusal(text, 'EUR'), text).to.match(/expected a decimal amount in EUR/);
    }
    expect(refusal('0', 'EUR')).to.match(/more than zero/);
    expect(refusal('0.00', 'EUR')).to.match(/more than zero/);
    expect(parseAmount('0', 'EUR', { flag: '--overdraft', allowZero: true })).to.equal(0n);
  });

  it('refuses a currency the mesh does not accept', () => {
    expect(refusal('1', 'XXX')).to.match(/not an accepted ISO 4217/);
    expect(refusal('1', 'eur')).to.match(/not an accepted ISO 4217/);
  });

  it('formats minor units back as decimal major units', () => {
    expect(formatAmount(1234n, 'EUR')).to.equal('12.34');
    expect(formatAmount(5n, 'EUR')).to.equal('0.05');
    expect(formatAmount(-5n, 'EUR')).to.equal('-0.05');
    expect(formatAmount(100n, 'JPY')).to.equal('100');
    expect(formatAmount(amountMinorMax, 'EUR')).to.equal('92233720368547758.07');
    expect(formatAmount(-1500n, 'KWD')).to.equal('-1.500');
  });
});
