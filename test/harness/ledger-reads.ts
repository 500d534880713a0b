// Reads of the ledger that tests check money against, through the real LedgerService.
import type { LedgerClient } from '../../clients/internal/src/index.js';

/** More pages than any test writes: a cursor that never ends fails the test instead of hanging. */
const pagesMax = 100;

/** The id of every transfer that touches `accountId`, in apply order, over every page. */
export async function accountTransferIds(
  ledger: LedgerClient,
  accountId: string,
): Promise<string[]> {
  const ids: string[] = [];
  let pageToken = '';
  for (let page = 0; page < pagesMax; page += 1) {
    const response = await ledger.call.listAccountTransfers({
      accountId,
      since: undefined,
      until: undefined,
      pageSize: 500,
      pageToken,
      reverse: false,
    });
    ids.push(...response.transfers.map((transfer) => transfer.id));
    pageToken = response.nextPageToken;
    if (pageToken === '') return ids;
  }
  throw new Error(`more than ${pagesMax} pages of transfers for ${accountId}`);
}
