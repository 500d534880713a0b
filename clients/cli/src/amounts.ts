// Money as an operator types it and reads it: decimal major units ("12.34" EUR) parsed into bigint
// minor units by the currency's ISO 4217 digits, and back. Text goes straight to bigint, never
// through a JS number, so every amount up to 2^63−1 is exact.
import { minorUnits } from '../../../services/mesh/src/currencies.js';
import { UsageError } from './usage-error.js';

/** The largest amount the contracts carry (int64). */
export const amountMinorMax = 2n ** 63n - 1n;

export interface AmountOptions {
  /** The flag the text came from, for the error line (e.g. --amount). */
  readonly flag: string;
  /** The text is already in minor units (an integer), as with --minor. */
  readonly minor?: boolean;
  /** Whether 0 is accepted (an overdraft limit) or the amount must be positive (a payment). */
  readonly allowZero?: boolean;
}

/** The currency's digits after the point; a code the mesh refuses is a usage error. */
export function currencyDigits(currency: string): number {
  const digits = minorUnits(currency);
  if (digits === undefined) {
    throw new UsageError(`${currency} is not an accepted ISO 4217 currency code (e.g. EUR, JPY)`);
  }
  return digits;
}

/** "12.34" EUR → 1234n; "100" JPY → 100n. Refuses signs, exponents, too many decimals, > 2^63−1. */
export function parseAmount(text: string, currency: string, options: AmountOptions): bigint {
  const digits = currencyDigits(currency);
  const match = options.minor === true ? /^(\d+)$/.exec(text) : /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (match === null) {
    const expected =
      options.minor === true
        ? 'a whole number of minor units, e.g. 1234'
        : `a decimal amount in ${currency} like ${exampleAmount(digits)}`;
    throw new UsageError(`${options.flag} ${text}: expected ${expected}`);
  }
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > digits) {
    throw new UsageError(
      `${options.flag} ${text}: ${currency} has ${digits} decimal place${digits === 1 ? '' : 's'}, ` +
        `not ${fraction.length}`,
    );
  }
  const amountMinor =
    options.minor === true
      ? BigInt(whole)
      : BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
  if (amountMinor > amountMinorMax) {
    throw new UsageError(`${options.flag} ${text}: above the largest amount, 2^63−1 minor units`);
  }
  if (amountMinor === 0n && options.allowZero !== true) {
    throw new UsageError(`${options.flag} ${text}: must be more than zero`);
  }
  return amountMinor;
}

/** 1234n EUR → "12.34"; -5n EUR → "-0.05"; 100n JPY → "100". */
export function formatAmount(amountMinor: bigint, currency: string): string {
  const digits = minorUnits(currency) ?? 0;
  const sign = amountMinor < 0n ? '-' : '';
  const magnitude = (amountMinor < 0n ? -amountMinor : amountMinor).toString();
  if (digits === 0) return `${sign}${magnitude}`;
  const padded = magnitude.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

/** "12.34 EUR". */
export function formatMoney(amountMinor: bigint, currency: string): string {
  return `${formatAmount(amountMinor, currency)} ${currency}`;
}

function exampleAmount(digits: number): string {
  return digits === 0 ? '100' : `12.${'3456'.slice(0, digits)}`;
}
