// Random ledger scenarios for the properties against the reference model: the engine's
// (test/domain/engine-vs-model.spec.ts, literal UUIDs) and the service's
// (test/service-vs-model.spec.ts, placeholders each run resolves to UUIDs of its own). One set of
// generators, parametrised by the ids they name, so that both properties explore the same space.
import fc from 'fast-check';
import {
  AMOUNT_MAX,
  type LedgerAccountInput,
  type LedgerAccountStatus,
  type TransferInput,
} from '../src/domain/index.js';
import { accountInput, MAX_UUID, NIL_UUID, transferInput } from './domain/fixtures.js';

/** The ids a scenario names, and the few knobs on which the two properties differ. */
export interface ScenarioVocabulary<StatusAccount> {
  /** The accounts every scenario creates, in order; noise collides with the first. */
  readonly accountIds: readonly string[];
  /** A well-formed account id no scenario creates. */
  readonly unknownAccountId: string;
  /** A well-formed account id that only noise may create. */
  readonly noiseAccountId: string;
  /** The first account's id in upper case. */
  readonly upperCaseAccountId: string;
  /** Literal transfer ids, for pending_ids and (the first three) malformed-or-colliding ids. */
  readonly transferIds: readonly string[];
  /** The transfer codes tried (the service's property also tries the uint32 maximum). */
  readonly codes: readonly number[];
  /** Which account a status step changes, as the scenario's runner names it. */
  readonly statusAccount: fc.Arbitrary<StatusAccount>;
  /** The most steps in a scenario (the engine's property: 25, the service's: 15). */
  readonly maxSteps: number;
}

/**
 * How a generated transfer gets its id and pending_id when the scenario runs: a fresh id, an id
 * sent before (a collision), or the literal (often malformed) one generated; a post or void names
 * a hold sent before. Picking from what was sent keeps retries and resolutions frequent.
 */
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

export type Step<StatusAccount> =
  | { readonly kind: 'batch'; readonly requests: TransferSpec[][] }
  | { readonly kind: 'advance'; readonly seconds: number }
  | { readonly kind: 'expire' }
  | {
      readonly kind: 'status';
      readonly account: StatusAccount;
      readonly status: LedgerAccountStatus;
    };

/** The fields of one of the scenario's accounts; the runner gives it its id. */
export type AccountFields = Pick<LedgerAccountInput, 'currency' | 'flags' | 'overdraftLimit'>;

export interface Scenario<StatusAccount> {
  readonly accounts: AccountFields[];
  readonly noise: LedgerAccountInput[];
  readonly steps: Step<StatusAccount>[];
}

function weighted<T>(...choices: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> {
  return fc.oneof(...choices.map(([weight, arbitrary]) => ({ weight, arbitrary })));
}

const ACCOUNT_KINDS = {
  settlement: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false },
  customer: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false },
  creditLimited: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: true },
};

const accountArbitrary: fc.Arbitrary<AccountFields> = fc
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

export function scenarioArbitraries<StatusAccount>(vocabulary: ScenarioVocabulary<StatusAccount>) {
  const { accountIds, unknownAccountId, noiseAccountId, upperCaseAccountId, transferIds } =
    vocabulary;

  /** CreateAccounts items that collide with, or fail beside, the real accounts. */
  const noisyAccountArbitrary: fc.Arbitrary<LedgerAccountInput> = fc
    .record({
      id: fc.constantFrom(accountIds[0] ?? '', noiseAccountId, 'x', NIL_UUID),
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
    ...transferIds.slice(0, 3),
  );

  const accountIdArbitrary = weighted(
    [30, fc.constantFrom(...accountIds)],
    [1, fc.constantFrom(unknownAccountId, noiseAccountId, '', 'bad', upperCaseAccountId)],
  );

  const commonArbitrary = fc.record({
    id: literalIdArbitrary,
    linked: fc.nat(3).map((n) => n === 0),
    code: fc.constantFrom(...vocabulary.codes),
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
      pendingId: weighted([30, fc.constant('')], [1, fc.constantFrom(...transferIds)]),
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
      pendingId: weighted([20, fc.constantFrom(...transferIds)], [1, fc.constantFrom('', 'x')]),
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

  const transferSpecArbitrary: fc.Arbitrary<TransferSpec> = weighted<TransferSpec>(
    [10, newSpec(movementArbitrary)],
    [7, newSpec(resolutionArbitrary)],
    [2, fc.nat().map((pick) => ({ kind: 'retry', pick }))],
  );

  const stepArbitrary: fc.Arbitrary<Step<StatusAccount>> = weighted<Step<StatusAccount>>(
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
          account: vocabulary.statusAccount,
          status: fc.constantFrom<LedgerAccountStatus>('OPEN', 'FROZEN', 'CLOSED'),
        })
        .map(({ account, status }) => ({ kind: 'status', account, status })),
    ],
  );

  const scenarioArbitrary: fc.Arbitrary<Scenario<StatusAccount>> = fc.record({
    accounts: fc.array(accountArbitrary, {
      minLength: accountIds.length,
      maxLength: accountIds.length,
    }),
    noise: fc.array(noisyAccountArbitrary, { maxLength: 3 }),
    steps: fc.array(stepArbitrary, { minLength: 1, maxLength: vocabulary.maxSteps }),
  });

  return {
    account: accountArbitrary,
    noisyAccount: noisyAccountArbitrary,
    movement: movementArbitrary,
    resolution: resolutionArbitrary,
    transferSpec: transferSpecArbitrary,
    step: stepArbitrary,
    scenario: scenarioArbitrary,
  };
}
