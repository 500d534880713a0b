// CreateTransfers as a pure, single-writer engine. Given the rows a batch may touch (preloaded
// and locked by the storage layer) and the batch's clock, it applies transfers strictly in order,
// each seeing the effects of the ones before it, and answers one result per transfer plus what to
// write. A batch may coalesce several requests (group commit): their results are exactly those of
// running the requests one after another, and a linked chain never spans two requests.
//
// Per transfer, the first failing check in results.proto's numeric order is the status: created_at
// and id (4-5), idempotency (6-8), own fields (9-20), then the ledger's state (21-37), which is
// recorded so that the id answers ID_ALREADY_FAILED forever after.
import { hasSameFields } from './idempotency.js';
import type { CreateTransferStatus } from './statuses.js';
import { validateTransferFields } from './transfer-fields.js';
import { applyTransfer, checkAgainstLedger } from './transfer-rules.js';
import type { LedgerView, StoredTransfer, TransferInput } from './types.js';
import { parseUuid } from '../../../mesh/src/uuid.js';
import { WorkingLedger, type TransferWrites } from './working-ledger.js';

export type { TransferWrites } from './working-ledger.js';

/** Most transfers in one CreateTransfers request. */
export const TRANSFERS_PER_REQUEST_MAX = 8190;

export interface TransferResult {
  /** Position of the transfer in its request. */
  readonly index: number;
  readonly status: CreateTransferStatus;
  /** The new transfer for CREATED, the stored original for EXISTS; absent otherwise. */
  readonly transfer?: StoredTransfer;
  /** For ID_ALREADY_FAILED: the status the id's first attempt failed with. */
  readonly originalStatus?: CreateTransferStatus;
}

export interface TransferBatchOutcome extends TransferWrites {
  readonly results: readonly TransferResult[];
}

export interface TransferRequestsOutcome extends TransferWrites {
  /** One list of results per request, in the order the requests were given. */
  readonly results: readonly (readonly TransferResult[])[];
}

/** Applies one request's transfers. */
export function applyTransfers(
  transfers: readonly TransferInput[],
  view: LedgerView,
  now: Date,
): TransferBatchOutcome {
  const { results, ...writes } = applyTransferRequests([transfers], view, now);
  return { ...writes, results: results[0] ?? [] };
}

/** Applies several requests in one batch, one after another, with one set of writes. */
export function applyTransferRequests(
  requests: readonly (readonly TransferInput[])[],
  view: LedgerView,
  now: Date,
): TransferRequestsOutcome {
  const ledger = new WorkingLedger(view, new Date(now.getTime()));
  const results = requests.map((transfers) => applyRequest(transfers, ledger));
  return { ...ledger.writes(), results };
}

function succeeded(result: TransferResult): boolean {
  return result.status === 'CREATED' || result.status === 'EXISTS';
}

/**
 * Where the request's trailing open chain starts (the run of linked transfers at its end), or
 * the request's length when its last transfer closes every chain.
 */
function openChainStart(transfers: readonly TransferInput[]): number {
  let start = transfers.length;
  while (start > 0 && transfers[start - 1]?.flags.linked === true) start -= 1;
  return start;
}

/**
 * A chain is a run of linked transfers closed by the first unlinked one. Its transfers apply
 * tentatively; at the first failure the chain is undone, that transfer keeps its own status and
 * every other member answers LINKED_EVENT_FAILED. A chain left open by the request can never
 * succeed, so none of its members is evaluated: the last answers LINKED_EVENT_CHAIN_OPEN and the
 * others LINKED_EVENT_FAILED, the lower-numbered status that applies to them.
 */
function applyRequest(
  transfers: readonly TransferInput[],
  ledger: WorkingLedger,
): TransferResult[] {
  if (transfers.length > TRANSFERS_PER_REQUEST_MAX) {
    throw new Error(`a request of ${transfers.length} transfers passed validation`);
  }
  const results: TransferResult[] = [];
  const openStart = openChainStart(transfers);
  let chainStart: number | undefined;
  let chainFailed = false;
  transfers.forEach((input, index) => {
    if (index >= openStart) {
      const last = index === transfers.length - 1;
      results.push({ index, status: last ? 'LINKED_EVENT_CHAIN_OPEN' : 'LINKED_EVENT_FAILED' });
      return;
    }
    if (input.flags.linked && chainStart === undefined) {
      chainStart = index;
      chainFailed = false;
      ledger.beginChain();
    }
    if (chainStart !== undefined && chainFailed) {
      results.push({ index, status: 'LINKED_EVENT_FAILED' });
    } else {
      const result = applyOne(input, index, ledger);
      results.push(result);
      if (chainStart !== undefined && !succeeded(result)) {
        chainFailed = true;
        ledger.rollbackChain();
        for (let member = chainStart; member < index; member += 1) {
          results[member] = { index: member, status: 'LINKED_EVENT_FAILED' };
        }
      }
    }
    if (chainStart !== undefined && !input.flags.linked) {
      if (!chainFailed) ledger.commitChain();
      chainStart = undefined;
    }
  });
  return results;
}

function applyOne(input: TransferInput, index: number, ledger: WorkingLedger): TransferResult {
  if (input.createdAtSet) return { index, status: 'CREATED_AT_MUST_NOT_BE_SET' };
  const id = parseUuid(input.id);
  if (id === undefined) return { index, status: 'INVALID_ID' };
  const existing = ledger.transfer(id);
  if (existing !== undefined) {
    return hasSameFields(input, existing, ledger)
      ? { index, status: 'EXISTS', transfer: existing }
      : { index, status: 'EXISTS_WITH_DIFFERENT_FIELDS' };
  }
  const failure = ledger.failure(id);
  if (failure !== undefined) {
    return { index, status: 'ID_ALREADY_FAILED', originalStatus: failure.status };
  }
  const valid = validateTransferFields(input, id);
  if (typeof valid === 'string') return { index, status: valid };
  const resolved = checkAgainstLedger(valid, ledger);
  if (typeof resolved === 'string') {
    ledger.recordFailure(id, resolved);
    return { index, status: resolved };
  }
  return { index, status: 'CREATED', transfer: applyTransfer(resolved, ledger) };
}
