// Property: for any sequence of CreateAccounts, CreateTransfers batches (several requests group-
// committed together), clock moves, expiry runs and status changes, the engine (driven through
// an in-memory store that preloads only what preload.ts names) and the reference model answer the
// same statuses and transfers and hold the same balances, pending states and failed ids; and per
// currency debits equal credits, posted and pending.
import { expect } from 'chai';
import fc from 'fast-check';
import {
  applyAccounts,
  type CreateTransferStatus,
  type TransferInput,
  type TransferResult,
} from '../../src/domain/index.js';
import {
  expectStatusesReached,
  projection,
  STATUSES_EVERY_PROPERTY_REACHES,
} from '../model-checks.js';
import { scenarioArbitraries, type Scenario, type TransferSpec } from '../scenario-arbitraries.js';
import {
  accountInput,
  InMemoryLedgerStore,
  NOW,
  secondsAfter,
  transferInput,
  uuid,
} from './fixtures.js';
import { ReferenceLedger, type ModelResult } from './reference-model.js';

const ACCOUNT_IDS = [1, 2, 3, 4, 5, 6].map(uuid);
const TRANSFER_IDS = Array.from({ length: 10 }, (_, index) => uuid(100 + index));
const RUNS = Number(process.env['LEDGER_PROPERTY_RUNS'] ?? 1000);

const scenarioArbitrary = scenarioArbitraries({
  accountIds: ACCOUNT_IDS,
  unknownAccountId: uuid(9),
  noiseAccountId: uuid(7),
  upperCaseAccountId: (ACCOUNT_IDS[0] ?? '').toUpperCase(),
  transferIds: TRANSFER_IDS,
  codes: [0, 1],
  statusAccount: fc.constantFrom(...ACCOUNT_IDS),
  maxSteps: 25,
}).scenario;

function compareResults(
  engine: readonly TransferResult[],
  model: readonly ModelResult[],
  seen: Set<CreateTransferStatus>,
): void {
  expect(engine.map((result) => result.status)).to.deep.equal(model.map((result) => result.status));
  engine.forEach((result, index) => {
    seen.add(result.status);
    expect(result.index).to.equal(index);
    expect(projection(result.transfer)).to.deep.equal(projection(model[index]?.transfer));
  });
}

function compareState(store: InMemoryLedgerStore, model: ReferenceLedger): void {
  expect([...store.accounts.keys()].sort()).to.deep.equal(model.accounts.map((a) => a.id).sort());
  const totals = new Map<string, bigint[]>();
  for (const account of store.accounts.values()) {
    const { debitsPending, debitsPosted, creditsPending, creditsPosted } = account;
    const balances = { debitsPending, debitsPosted, creditsPending, creditsPosted };
    expect(balances, account.id).to.deep.equal(model.balances(account.id));
    expect(account.status).to.equal(model.findAccount(account.id)?.status);
    const sums = totals.get(account.currency) ?? [0n, 0n, 0n, 0n];
    totals.set(account.currency, [
      (sums[0] ?? 0n) + debitsPosted,
      (sums[1] ?? 0n) + creditsPosted,
      (sums[2] ?? 0n) + debitsPending,
      (sums[3] ?? 0n) + creditsPending,
    ]);
  }
  for (const [currency, [debitsPosted, creditsPosted, debitsPending, creditsPending]] of totals) {
    expect(debitsPosted, `${currency} posted`).to.equal(creditsPosted);
    expect(debitsPending, `${currency} pending`).to.equal(creditsPending);
  }
  expect([...store.transfers.keys()].sort()).to.deep.equal(model.transfers.map((t) => t.id).sort());
  for (const transfer of store.transfers.values()) {
    if (transfer.flags.pending) {
      expect(transfer.pendingState, transfer.id).to.equal(model.pendingState(transfer.id));
    }
  }
  const failures = [...store.failures.values()].map(({ id, status }) => `${id} ${status}`);
  const modelFailures = model.failedIds.map(({ id, status }) => `${id} ${status}`);
  expect(failures.sort()).to.deep.equal(modelFailures.sort());
}

function runScenario(scenario: Scenario<string>, seen: Set<CreateTransferStatus>): void {
  const store = new InMemoryLedgerStore();
  const model = new ReferenceLedger();
  const inputs = [
    ...scenario.accounts.map((fields, index) =>
      accountInput({ ...fields, id: ACCOUNT_IDS[index] ?? uuid(index + 1) }),
    ),
    ...scenario.noise,
  ];
  const created = applyAccounts(inputs, new Map(), NOW);
  for (const account of created.accountsCreated) store.accounts.set(account.id, account);
  const modelStatuses = model.createAccounts(inputs);
  expect(created.results.map((result) => result.status)).to.deep.equal(modelStatuses);

  let now = NOW;
  const sent: TransferInput[] = [];
  let freshIds = 0;
  const resolve = (spec: TransferSpec): TransferInput => {
    const earlier = (pick: number) => sent[pick % Math.max(sent.length, 1)];
    if (spec.kind === 'retry') return earlier(spec.pick) ?? transferInput();
    const holds = sent.filter((input) => input.flags.pending);
    const { input } = spec;
    let id = input.id;
    if (spec.idChoice === 'fresh') id = uuid(1000 + (freshIds += 1));
    if (spec.idChoice === 'reuse') id = earlier(spec.pick)?.id ?? id;
    const resolving = input.flags.postPendingTransfer || input.flags.voidPendingTransfer;
    const hold = holds[spec.pick % Math.max(holds.length, 1)];
    const pendingId = resolving && input.pendingId !== 'x' && hold ? hold.id : input.pendingId;
    const spell = (text: string) => (spec.upperCase ? text.toUpperCase() : text);
    return { ...input, id: spell(id), pendingId: spell(pendingId) };
  };
  for (const step of scenario.steps) {
    if (step.kind === 'batch') {
      const requests = step.requests.map((specs) => {
        const request = specs.map(resolve);
        sent.push(...request);
        return request;
      });
      const engineResults = store.createTransferRequests(requests, now);
      requests.forEach((request, index) => {
        compareResults(engineResults[index] ?? [], model.createTransfers(request, now), seen);
      });
    } else if (step.kind === 'advance') {
      now = secondsAfter(now, step.seconds);
    } else if (step.kind === 'expire') {
      const expired = store.expirePending(now).pendingTransfersExpired.map((change) => change.id);
      expect(expired.sort()).to.deep.equal(model.expirePendingTransfers(now).sort());
    } else if (store.accounts.has(step.account)) {
      const outcome = store.setAccountStatus(step.account, step.status);
      const modelOutcome = model.setAccountStatus(step.account, step.status);
      expect(outcome.ok ? 'OK' : outcome.error).to.equal(modelOutcome);
    }
    compareState(store, model);
  }
}

describe('engine against the reference model', () => {
  it('agrees on every result, balance, pending state and failed id', function () {
    this.timeout(120_000);
    const seen = new Set<CreateTransferStatus>();
    fc.assert(
      fc.property(scenarioArbitrary, (scenario) => {
        runScenario(scenario, seen);
      }),
      { numRuns: RUNS },
    );
    // The generator must reach the interesting corners, or the property proves little.
    if (RUNS >= 1000) {
      expectStatusesReached(seen, [
        ...STATUSES_EVERY_PROPERTY_REACHES,
        'PENDING_TRANSFER_ALREADY_POSTED',
        'PENDING_TRANSFER_EXPIRED',
      ]);
    }
  });
});
