// Random scenarios for the service-against-model property: the generators of the engine's own
// property (test/domain/engine-vs-model.spec.ts), with ids as placeholders that each run resolves
// to UUIDs of its own (the database outlives runs): @A<n> account n, @a<n> the same in upper case,
// @T<n> a literal transfer id; anything else is sent as it is (malformed on purpose).
import fc from 'fast-check';
import {
  AMOUNT_MAX,
  type LedgerAccountInput,
  type LedgerAccountStatus,
  type TransferInput,
} from '../src/domain/index.js';
import { accountInput, MAX_UUID, NIL_UUID, transferInput } from './domain/fixtures.js';

export const ACCOUNTS_PER_SCENARIO = 6;
const ACCOUNT_REFS = Array.from({ length: ACCOUNTS_PER_SCENARIO }, (_, index) => `@A${index}`);
/** A well-formed account id no scenario creates. */
const UNKNOWN_ACCOUNT = '@A9';
const TRANSFER_REFS = Array.from({ length: 10 }, (_, index) => `@T${index}`);

/** How a transfer gets its id when the scenario runs (see the engine's property). */
export type IdChoice = 'fresh' | 'reuse' | 'literal';

export type TransferSpec =
  | {
      readonly kind: 'new';
      readonly input: TransferInput;
      readonly idChoice: IdChoice;
      readonly upperCase: boolean;
      readonly pick: number;
    }
  | { readonly kind: 'retry'; readonly pick: number };

export type Step =
  | { readonly kind: 'batch'; readonly requests: TransferSpec[][] }
  | { readonly kind: 'advance'; readonly seconds: number }
  | { readonly kind: 'expire' }
  | { readonly kind: 'status'; readonly account: number; readonly status: LedgerAccountStatus };

function weighted<T>(...choices: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> {
  return fc.oneof(...choices.map(([weight, arbitrary]) => ({ weight, arbitrary })));
}

const ACCOUNT_KINDS = {
  settlement: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false },
  customer: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false },
  creditLimited: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: true },
};

const accountArbitrary = fc
  .record({
    currency: fc.constantFrom('USD', 'USD', 'EUR'),
    kind: fc.constantFrom('settlement', 'settlement', 'customer', 'customer', 'creditLimited'),
    overdraftLimit: fc.constantFrom(0n, 50n, 1000n, AMOUNT_MAX),
  })
  .map(({ currency, kind, overdraftLimit }) => ({
    currency,
    flags: ACCOUNT_KINDS[kind],
    overdraftLimit: kind === 'customer' ? overdraftLimit : 0n,
  }));

/** CreateAccounts items that collide with, or fail beside, the real accounts. */
const noisyAccountArbitrary: fc.Arbitrary<LedgerAccountInput> = fc
  .record({
    id: fc.constantFrom('@A0', '@A7', 'x', NIL_UUID),
    currency: fc.constantFrom('USD', 'EUR', 'usd', 'XXX'),
    kind: fc.constantFrom('settlement', 'customer', 'both'),
    overdraftLimit: fc.constantFrom(0n, 5n, -1n),
    status: fc.constantFrom('OPEN', 'OPEN', 'FROZEN', 'UNSPECIFIED'),
    creditsPosted: fc.constantFrom(0n, 0n, 1n),
    createdAtSet: fc.boolean(),
  })
  .map(({ kind, ...fields }) =>
    accountInput({
      ...fields,
      flags:
        kind === 'both'
          ? { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: true }
          : ACCOUNT_KINDS[kind],
    }),
  );

const literalIdArbitrary = fc.constantFrom(
  '',
  'not-a-uuid',
  NIL_UUID,
  MAX_UUID,
  ...TRANSFER_REFS.slice(0, 3),
);

const accountIdArbitrary = weighted(
  [30, fc.constantFrom(...ACCOUNT_REFS)],
  [1, fc.constantFrom(UNKNOWN_ACCOUNT, '@A7', '', 'bad', '@a0')],
);

const amountArbitrary = weighted(
  [20, fc.bigInt(1n, 120n)],
  [2, fc.constantFrom(0n, -1n)],
  [3, fc.constantFrom(AMOUNT_MAX, AMOUNT_MAX - 1n, 2n ** 62n)],
);

const currencyArbitrary = weighted(
  [20, fc.constant('USD')],
  [8, fc.constant('EUR')],
  [1, fc.constantFrom('', 'usd', 'XXX')],
);

const commonArbitrary = fc.record({
  id: literalIdArbitrary,
  linked: fc.nat(3).map((n) => n === 0),
  code: fc.constantFrom(0, 1, 4294967295),
  reference: weighted(
    [20, fc.constant('')],
    [3, fc.constant('ref')],
    [1, fc.constantFrom('😀'.repeat(128), 'x'.repeat(129), 'a\tb')],
  ),
  createdAtSet: fc.nat(60).map((n) => n === 0),
});

/** A plain transfer or a hold. */
const movementArbitrary = fc
  .record({
    common: commonArbitrary,
    pending: fc.boolean(),
    debitAccountId: accountIdArbitrary,
    creditAccountId: accountIdArbitrary,
    amount: amountArbitrary,
    currency: currencyArbitrary,
    timeoutSeconds: weighted([12, fc.constantFrom(0, 1, 5, 30)], [1, fc.constant(7)]),
    pendingId: weighted([30, fc.constant('')], [1, fc.constantFrom(...TRANSFER_REFS)]),
  })
  .map(({ common, pending, ...fields }) =>
    transferInput({
      ...fields,
      ...common,
      timeoutSeconds: pending || fields.timeoutSeconds === 7 ? fields.timeoutSeconds : 0,
      flags: { linked: common.linked, pending },
    }),
  );

/** A post or void, mostly leaving its fields to the pending transfer. */
const resolutionArbitrary = fc
  .record({
    common: commonArbitrary,
    post: fc.boolean(),
    pendingId: weighted([20, fc.constantFrom(...TRANSFER_REFS)], [1, fc.constantFrom('', 'x')]),
    debitAccountId: weighted([6, fc.constant('')], [1, accountIdArbitrary]),
    creditAccountId: weighted([6, fc.constant('')], [1, accountIdArbitrary]),
    amount: weighted([4, fc.constant(0n)], [3, amountArbitrary]),
    currency: weighted([5, fc.constant('')], [2, currencyArbitrary]),
    alsoPending: fc.nat(40).map((n) => n === 0),
  })
  .map(({ common, post, alsoPending, ...fields }) =>
    transferInput({
      ...fields,
      ...common,
      flags: {
        linked: common.linked,
        pending: alsoPending,
        postPendingTransfer: post,
        voidPendingTransfer: !post,
      },
    }),
  );

const idChoiceArbitrary = weighted<IdChoice>(
  [16, fc.constant('fresh')],
  [2, fc.constant('reuse')],
  [1, fc.constant('literal')],
);

function newSpec(input: fc.Arbitrary<TransferInput>): fc.Arbitrary<TransferSpec> {
  return fc
    .record({
      input,
      idChoice: idChoiceArbitrary,
      upperCase: fc.nat(8).map((n) => n === 0),
      pick: fc.nat(),
    })
    .map((fields) => ({ kind: 'new', ...fields }));
}

const transferSpecArbitrary: fc.Arbitrary<TransferSpec> = weighted<TransferSpec>(
  [10, newSpec(movementArbitrary)],
  [7, newSpec(resolutionArbitrary)],
  [2, fc.nat().map((pick) => ({ kind: 'retry', pick }))],
);

const stepArbitrary: fc.Arbitrary<Step> = weighted<Step>(
  [
    12,
    fc
      .array(fc.array(transferSpecArbitrary, { minLength: 1, maxLength: 6 }), {
        minLength: 1,
        maxLength: 3,
      })
      .map((requests) => ({ kind: 'batch', requests })),
  ],
  [2, fc.nat(12).map((seconds) => ({ kind: 'advance', seconds }))],
  [2, fc.constant({ kind: 'expire' })],
  [
    2,
    fc
      .record({
        account: fc.nat(ACCOUNTS_PER_SCENARIO - 1),
        status: fc.constantFrom('OPEN', 'FROZEN', 'CLOSED'),
      })
      .map(({ account, status }) => ({ kind: 'status', account, status })),
  ],
);

export const scenarioArbitrary = fc.record({
  accounts: fc.array(accountArbitrary, {
    minLength: ACCOUNTS_PER_SCENARIO,
    maxLength: ACCOUNTS_PER_SCENARIO,
  }),
  noise: fc.array(noisyAccountArbitrary, { maxLength: 3 }),
  steps: fc.array(stepArbitrary, { minLength: 1, maxLength: 15 }),
});

export type Scenario = typeof scenarioArbitrary extends fc.Arbitrary<infer T> ? T : never;
