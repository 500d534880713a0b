// The writer's own limits and lifecycle, driven directly (no gRPC): whole requests up to
// batchTransfersMax per transaction, a queue bounded in items (RESOURCE_EXHAUSTED beyond it),
// callers that have gone before their batch starts are dropped unwritten, and close() finishes
// what is queued before refusing new work. Also pins the store's batch entry point, which benchmarks call: one
// call with several requests answers exactly what the same requests answer one call at a time.
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { silentLogger } from '../../../test/harness/test-server.js';
import { MeshError } from '../../mesh/src/errors.js';
import type { TransferInput } from '../src/domain/index.js';
import { LedgerClock } from '../src/ledger-clock.js';
import { LedgerMetrics } from '../src/ledger-metrics.js';
import { LedgerWriter, type LedgerWriterOptions } from '../src/ledger-writer.js';
import { applyTransferBatch, lookupAccounts, lookupTransfers } from '../src/store/index.js';
import { accountInput, transferInput } from './domain/fixtures.js';
import { histogramCount, histogramSum, metricValue } from './ledger-metrics-reader.js';
import { startLedgerTestServer, type LedgerTestServer } from './ledger-test-server.js';

describe('ledger writer', () => {
  let ledger: LedgerTestServer;
  let debit: string;
  let credit: string;

  before(async () => {
    ledger = await startLedgerTestServer({ schema: 'ledger_writer' });
    debit = randomUUID();
    credit = randomUUID();
    const outcome = await ledger.service.writer.createAccounts([
      accountInput({ id: debit }),
      accountInput({ id: credit }),
    ]);
    expect(outcome.results.map((result) => result.status)).to.deep.equal(['CREATED', 'CREATED']);
  });

  after(async () => {
    await ledger.stop();
  });

  function writer(options: Partial<LedgerWriterOptions>): {
    writer: LedgerWriter;
    registry: Registry;
  } {
    const registry = new Registry();
    const metrics = new LedgerMetrics(registry, {
      pendingHolds: () => Promise.resolve(0),
      poolUse: () => undefined,
      logger: silentLogger,
    });
    const created = new LedgerWriter({
      db: ledger.db,
      clock: new LedgerClock(),
      metrics,
      logger: silentLogger,
      batchTransfersMax: 8190,
      batchWaitMaxMs: 2,
      queueTransfersMax: 8190,
      ...options,
    });
    return { writer: created, registry };
  }

  const moves = (count: number): TransferInput[] =>
    Array.from({ length: count }, () =>
      transferInput({
        id: randomUUID(),
        debitAccountId: debit,
        creditAccountId: credit,
        amount: 1n,
      }),
    );

  async function refusal(promise: Promise<unknown>): Promise<MeshError> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof MeshError) return error;
      throw error;
    }
    throw new Error('expected a refusal');
  }

  it('takes whole requests up to batchTransfersMax transfers per transaction', async () => {
    const { writer: small, registry } = writer({ batchTransfersMax: 8, batchWaitMaxMs: 50 });
    const answers = await Promise.all([
      small.createTransfers(moves(5)),
      small.createTransfers(moves(3)),
      small.createTransfers(moves(5)),
      small.createTransfers(moves(2)),
    ]);
    expect(answers.map((results) => results.length)).to.deep.equal([5, 3, 5, 2]);
    // 5+3 fit in one batch; 5 and 2 in the next.
    expect(await histogramCount(registry, 'clearmesh_ledger_batch_transfers')).to.equal(2);
    expect(await histogramSum(registry, 'clearmesh_ledger_batch_transfers')).to.equal(15);
    await small.close();
  });

  it('with no batch wait, still batches the calls made in the same turn of the event loop', async () => {
    const { writer: eager, registry } = writer({ batchWaitMaxMs: 0 });
    await Promise.all([eager.createTransfers(moves(1)), eager.createTransfers(moves(1))]);
    expect(await histogramCount(registry, 'clearmesh_ledger_batch_transfers')).to.equal(1);
    await eager.close();
  });

  it('answers RESOURCE_EXHAUSTED beyond its queue, and drops callers that have gone', async () => {
    const { writer: bounded } = writer({ queueTransfersMax: 4, batchWaitMaxMs: 50 });
    const gone = new AbortController();
    const first = bounded.createTransfers(moves(3), gone.signal);
    const full = await refusal(bounded.createTransfers(moves(2)));
    expect([full.code, full.reason]).to.deep.equal([
      grpc.status.RESOURCE_EXHAUSTED,
      'RATE_LIMITED',
    ]);
    const abandoned = moves(1);
    const dropped = bounded.createTransfers(abandoned, gone.signal);
    gone.abort(new MeshError(grpc.status.CANCELLED, 'INTERNAL_ERROR', 'cancelled by the caller'));
    expect((await refusal(first)).code).to.equal(grpc.status.CANCELLED);
    expect((await refusal(dropped)).code).to.equal(grpc.status.CANCELLED);
    expect(
      (
        await lookupTransfers(
          ledger.db,
          abandoned.map((input) => input.id),
        )
      ).size,
    ).to.equal(0);
    await bounded.close();
  });

  it('counts accounts to create against the same queue bound as transfers', async () => {
    const { writer: bounded } = writer({ queueTransfersMax: 4, batchWaitMaxMs: 50 });
    const queued = bounded.createTransfers(moves(3));
    const refused = await refusal(
      bounded.createAccounts([
        accountInput({ id: randomUUID() }),
        accountInput({ id: randomUUID() }),
      ]),
    );
    expect([refused.code, refused.reason]).to.deep.equal([
      grpc.status.RESOURCE_EXHAUSTED,
      'RATE_LIMITED',
    ]);
    const fits = await bounded.createAccounts([accountInput({ id: randomUUID() })]);
    expect(fits.results.map((result) => result.status)).to.deep.equal(['CREATED']);
    expect((await queued).map((result) => result.status)).to.deep.equal([
      'CREATED',
      'CREATED',
      'CREATED',
    ]);
    await bounded.close();
  });

  it('drops a caller gone before its batch starts from the middle of the batch, unwritten', async () => {
    const { writer: batching, registry } = writer({ batchWaitMaxMs: 50 });
    const gone = new AbortController();
    const [before, abandoned, after] = [moves(1), moves(1), moves(1)];
    const first = batching.createTransfers(before);
    const dropped = batching.createTransfers(abandoned, gone.signal);
    const last = batching.createTransfers(after);
    gone.abort(new MeshError(grpc.status.CANCELLED, 'INTERNAL_ERROR', 'cancelled by the caller'));
    expect((await refusal(dropped)).code).to.equal(grpc.status.CANCELLED);
    expect((await first).map((result) => result.status)).to.deep.equal(['CREATED']);
    expect((await last).map((result) => result.status)).to.deep.equal(['CREATED']);
    const ids = [...before, ...abandoned, ...after].map((input) => input.id);
    expect([...(await lookupTransfers(ledger.db, ids)).keys()].sort()).to.deep.equal(
      [before[0]?.id, after[0]?.id].sort(),
    );
    // The two live callers shared one batch; the dropped one was not in it.
    expect(await histogramCount(registry, 'clearmesh_ledger_batch_transfers')).to.equal(1);
    expect(await histogramSum(registry, 'clearmesh_ledger_batch_transfers')).to.equal(2);
    await batching.close();
  });

  it('fails every request of a batch whose COMMIT fails, writing nothing, failures included', async () => {
    // A deferred trigger makes COMMIT itself refuse a transfer the engine accepted.
    await ledger.db.raw(`CREATE FUNCTION refuse_at_commit() RETURNS trigger
      LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$`);
    await ledger.db.raw(`CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON transfers
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.reference = 'refuse at commit')
      EXECUTE FUNCTION refuse_at_commit()`);
    const limited = randomUUID();
    await ledger.service.writer.createAccounts([
      accountInput({
        id: limited,
        flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false },
      }),
    ]);
    const balances = async () => {
      const found = await lookupAccounts(ledger.db, [debit, credit, limited]);
      return [...found.values()].map((account) => [account.debitsPosted, account.creditsPosted]);
    };
    const balancesBefore = await balances();
    const { writer: failing, registry } = writer({ batchWaitMaxMs: 50 });
    const innocent = moves(2);
    // Refused on funds: recorded as a failure, were its batch to commit.
    const overdrawn = [
      transferInput({ id: randomUUID(), debitAccountId: limited, creditAccountId: credit }),
    ];
    const marked = [
      transferInput({
        id: randomUUID(),
        debitAccountId: debit,
        creditAccountId: credit,
        reference: 'refuse at commit',
      }),
    ];
    const outcomes = await Promise.allSettled(
      [innocent, overdrawn, marked].map((request) => failing.createTransfers(request)),
    );
    await ledger.db.raw('DROP TRIGGER refuse_at_commit ON transfers');
    for (const outcome of outcomes) {
      expect(outcome.status).to.equal('rejected');
      const error = (outcome as PromiseRejectedResult).reason as MeshError;
      expect(error.code).to.equal(grpc.status.INTERNAL);
      expect(error.message).to.not.match(/refused at commit/);
    }
    // One batch, one failure, and no commit counted for it.
    const failures = { operation: 'transfers' };
    expect(
      await metricValue(registry, 'clearmesh_ledger_writer_failures_total', undefined, failures),
    ).to.equal(1);
    expect(await histogramCount(registry, 'clearmesh_ledger_batch_transfers')).to.equal(0);
    const ids = [...innocent, ...overdrawn, ...marked].map((input) => input.id);
    expect((await lookupTransfers(ledger.db, ids)).size).to.equal(0);
    expect(await balances()).to.deep.equal(balancesBefore);
    // Nothing was recorded either: a retry is decided afresh, not ID_ALREADY_FAILED or EXISTS.
    const retried = await failing.createTransfers([...innocent, ...overdrawn, ...marked]);
    expect(retried.map((result) => result.status)).to.deep.equal([
      'CREATED',
      'CREATED',
      'EXCEEDS_CREDITS',
      'CREATED',
    ]);
    await failing.close();
  });

  it('finishes queued work on close, then refuses new work as SHUTTING_DOWN', async () => {
    const { writer: closing } = writer({ batchWaitMaxMs: 200 });
    const queued = closing.createTransfers(moves(2));
    await closing.close();
    expect((await queued).map((result) => result.status)).to.deep.equal(['CREATED', 'CREATED']);
    const late = await refusal(closing.createTransfers(moves(1)));
    expect([late.code, late.reason]).to.deep.equal([grpc.status.UNAVAILABLE, 'SHUTTING_DOWN']);
  });

  it('answers a batch of several requests exactly as the same requests one at a time', async () => {
    const accounts: string[] = Array.from({ length: 4 }, () => randomUUID());
    // Separate accounts per side, so that both runs start from the same state.
    const twin = new Map<string, string>(accounts.map((id) => [id, randomUUID()]));
    const all = [...accounts, ...twin.values()];
    await ledger.service.writer.createAccounts(
      all.map((id, index) =>
        accountInput({
          id,
          flags: { debitsMustNotExceedCredits: index % 4 === 1, creditsMustNotExceedDebits: false },
          overdraftLimit: index % 4 === 1 ? 150n : 0n,
        }),
      ),
    );
    const [a, b, c, d] = accounts as [string, string, string, string];
    const hold = randomUUID();
    const requests: TransferInput[][] = [
      [transferInput({ id: randomUUID(), debitAccountId: a, creditAccountId: b, amount: 100n })],
      [
        transferInput({ id: randomUUID(), debitAccountId: b, creditAccountId: c, amount: 200n }),
        transferInput({
          id: hold,
          debitAccountId: b,
          creditAccountId: d,
          amount: 50n,
          flags: { pending: true },
        }),
      ],
      [
        transferInput({
          id: randomUUID(),
          debitAccountId: b,
          creditAccountId: a,
          amount: 250n,
          flags: { linked: true },
        }),
        transferInput({ id: randomUUID(), debitAccountId: c, creditAccountId: d, amount: 1n }),
      ],
      [
        transferInput({
          id: randomUUID(),
          pendingId: hold,
          debitAccountId: '',
          creditAccountId: '',
          currency: '',
          amount: 20n,
          flags: { postPendingTransfer: true },
        }),
      ],
    ];
    const rename = (id: string) => twin.get(id) ?? id;
    const twinRequests = requests.map((request) =>
      request.map((input) => ({
        ...input,
        id: input.id === hold ? `${hold.slice(0, -4)}beef` : randomUUID(),
        pendingId: input.pendingId === hold ? `${hold.slice(0, -4)}beef` : input.pendingId,
        debitAccountId: rename(input.debitAccountId),
        creditAccountId: rename(input.creditAccountId),
      })),
    );
    const now = new Date();
    const together = await applyTransferBatch(ledger.db, requests, now);
    const oneByOne = [];
    for (const request of twinRequests) {
      oneByOne.push(...(await applyTransferBatch(ledger.db, [request], now)).results);
    }
    const statuses = (results: readonly (readonly { status: string }[])[]) =>
      results.map((request) => request.map((result) => result.status));
    expect(statuses(together.results)).to.deep.equal(statuses(oneByOne));
    expect(statuses(together.results)).to.deep.equal([
      ['CREATED'],
      ['CREATED', 'CREATED'],
      ['EXCEEDS_CREDITS', 'LINKED_EVENT_FAILED'],
      ['CREATED'],
    ]);
    const balances = async (ids: readonly string[]) => {
      const found = await lookupAccounts(ledger.db, ids);
      return ids.map((id) => {
        const account = found.get(id);
        return [
          account?.debitsPending,
          account?.debitsPosted,
          account?.creditsPending,
          account?.creditsPosted,
        ];
      });
    };
    expect(await balances(accounts)).to.deep.equal(await balances(accounts.map(rename)));
  });
});
