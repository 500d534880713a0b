// The payment service's side of the ledger: one transfer per call, through the internal SDK as
// service/payment. CREATED and EXISTS both mean the transfer is in the ledger (a re-drive finds
// what its first attempt made); a decline keeps the ledger's status, and ID_ALREADY_FAILED the
// status the first attempt failed with, so a re-drive records the same decline the first would
// have.
import type { LedgerClient } from '../../../clients/internal/src/index.js';
import { CreateTransferStatus } from '../../../gen/grpc-js/clearmesh/ledger/v1/results.js';
import type { Transfer } from '../../../gen/grpc-js/clearmesh/ledger/v1/transfer.js';
import type { TraceContext } from '../../mesh/src/trace-context.js';
import { dependencyFailure } from './dependency-failure.js';

export type LedgerOutcome =
  | { readonly kind: 'applied'; readonly transfer: Transfer }
  /** `status` is the ledger's status name without its prefix: EXCEEDS_CREDITS, ... */
  | { readonly kind: 'declined'; readonly status: string };

export interface TransferRequest {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly pending?: boolean;
  readonly postPendingId?: string;
  readonly voidPendingId?: string;
  readonly timeoutSeconds?: number;
  readonly code: number;
  readonly reference: string;
}

const prefix = 'CREATE_TRANSFER_STATUS_';

function statusName(status: CreateTransferStatus): string {
  const name = CreateTransferStatus[status] as string | undefined;
  return name === undefined ? `UNKNOWN_${String(status)}` : name.slice(prefix.length);
}

export class LedgerTransfers {
  constructor(
    private readonly ledger: LedgerClient,
    /** Deadline of each ledger call: the payment is finished even if its caller went away. */
    private readonly timeoutMs: number,
  ) {}

  async submit(request: TransferRequest, trace?: TraceContext): Promise<LedgerOutcome> {
    const pendingId = request.postPendingId ?? request.voidPendingId ?? '';
    const transfer: Transfer = {
      id: request.id,
      debitAccountId: request.debitAccountId,
      creditAccountId: request.creditAccountId,
      amount: request.amount,
      currency: request.currency,
      flags: {
        linked: false,
        pending: request.pending ?? false,
        postPendingTransfer: request.postPendingId !== undefined,
        voidPendingTransfer: request.voidPendingId !== undefined,
      },
      pendingId,
      timeoutSeconds: request.timeoutSeconds ?? 0,
      code: request.code,
      reference: request.reference,
      createdAt: undefined,
    };
    const deadline = new Date(Date.now() + this.timeoutMs);
    const response = await this.ledger.call
      .createTransfers(
        { transfers: [transfer] },
        trace === undefined ? { deadline } : { context: { deadline, trace } },
      )
      .catch((error: unknown) => {
        throw dependencyFailure(error, 'ledger');
      });
    const result = response.results[0];
    if (result === undefined) throw new Error('the ledger answered no result');
    switch (result.status) {
      case CreateTransferStatus.CREATE_TRANSFER_STATUS_CREATED:
      case CreateTransferStatus.CREATE_TRANSFER_STATUS_EXISTS:
        if (result.transfer === undefined) throw new Error('the ledger answered no transfer');
        return { kind: 'applied', transfer: result.transfer };
      case CreateTransferStatus.CREATE_TRANSFER_STATUS_ID_ALREADY_FAILED:
        return { kind: 'declined', status: statusName(result.originalStatus) };
      default:
        return { kind: 'declined', status: statusName(result.status) };
    }
  }
}
