// CheckIntegrity: the ledger's invariants recomputed from its history in one snapshot. A read.
import type {
  CheckIntegrityRequest,
  CheckIntegrityResponse,
} from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import type { UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { checkIntegrity } from '../store/index.js';
import type { HandlerDependencies } from './dependencies.js';

export function checkIntegrityHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<CheckIntegrityRequest, CheckIntegrityResponse> {
  return async () => {
    const report = await checkIntegrity(dependencies.db);
    return {
      ok: report.mismatches.length === 0,
      currencies: report.currencies.map((totals) => ({ ...totals })),
      mismatches: report.mismatches.map((mismatch) => ({ ...mismatch })),
    };
  };
}
