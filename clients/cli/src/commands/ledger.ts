// `ledger check-integrity`: the ledger recomputes every balance from its transfers and checks, per
// currency, Σ debits = Σ credits (posted and pending). A mismatch exits 1, so scripts can alert.
import type { CheckIntegrityResponse } from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_service.js';
import { formatMoney } from '../amounts.js';
import { exitOk, exitRefused, type Command } from '../command.js';
import type { Output } from '../output.js';

export function integrityView(response: CheckIntegrityResponse) {
  return {
    ok: response.ok,
    currencies: response.currencies.map((totals) => ({ ...totals })),
    mismatches: response.mismatches.map((mismatch) => ({ ...mismatch })),
  };
}

/** Human lines of an integrity check: one per currency, one per mismatch. */
export function printIntegrity(out: Output, response: CheckIntegrityResponse, indent = ''): void {
  out.line(`${indent}ledger integrity: ${response.ok ? 'ok' : 'MISMATCH'}`);
  for (const totals of response.currencies) {
    const money = (minor: string): string => formatMoney(BigInt(minor), totals.currency);
    out.line(
      `${indent}  ${totals.currency}  posted: debits ${money(totals.debitsPosted)} = credits ` +
        `${money(totals.creditsPosted)}; pending: debits ${money(totals.debitsPending)} = ` +
        `credits ${money(totals.creditsPending)}`,
    );
  }
  for (const mismatch of response.mismatches) {
    out.line(`${indent}  mismatch ${mismatch.accountId}: ${mismatch.description}`);
  }
}

const checkIntegrity: Command = {
  words: ['ledger', 'check-integrity'],
  synopsis: '',
  summary: 'check that the ledger balances: per currency, debits = credits; exit 1 if not',
  options: {},
  positionals: [],
  run: async (context) => {
    const response = await context.mesh().ledger().call.checkIntegrity({});
    context.out.document(integrityView(response));
    printIntegrity(context.out, response);
    return response.ok ? exitOk : exitRefused;
  },
};

export const ledgerCommands: readonly Command[] = [checkIntegrity];
