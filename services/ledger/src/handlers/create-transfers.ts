// CreateTransfers: one result per transfer, in request order, from the group-committed writer.
import type {
  CreateTransfersRequest,
  CreateTransfersResponse,
} from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { TRANSFERS_PER_REQUEST_MAX } from '../domain/index.js';
import type { HandlerDependencies } from './dependencies.js';
import { transferInputFromProto, transferResultToProto } from './proto-mapping.js';
import { requireItemCount } from './request-validation.js';

export function createTransfersHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<CreateTransfersRequest, CreateTransfersResponse> {
  return async (request, context) => {
    requireItemCount(request.transfers.length, 'transfers', TRANSFERS_PER_REQUEST_MAX);
    const inputs = request.transfers.map(transferInputFromProto);
    const results = await dependencies.writer.createTransfers(inputs, context.abortState);
    return { results: results.map(transferResultToProto) };
  };
}
