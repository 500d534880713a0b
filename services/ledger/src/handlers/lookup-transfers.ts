// LookupTransfers: the stored transfers found, in request order. An id whose creation failed was
// never stored and answers nothing.
import type {
  LookupTransfersRequest,
  LookupTransfersResponse,
} from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { TRANSFERS_PER_REQUEST_MAX, type StoredTransfer } from '../domain/index.js';
import { lookupTransfers } from '../store/index.js';
import type { HandlerDependencies } from './dependencies.js';
import { transferToProto } from './proto-mapping.js';
import { requireUuids } from './request-validation.js';

export function lookupTransfersHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<LookupTransfersRequest, LookupTransfersResponse> {
  return async (request) => {
    const ids = requireUuids(request.transferIds, 'transfer_ids', TRANSFERS_PER_REQUEST_MAX);
    const found = await lookupTransfers(dependencies.db, [...new Set(ids)]);
    const transfers = ids
      .map((id): StoredTransfer | undefined => found.get(id))
      .filter((transfer): transfer is StoredTransfer => transfer !== undefined);
    return { transfers: transfers.map(transferToProto) };
  };
}
