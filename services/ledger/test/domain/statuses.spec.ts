// The domain's status names must be exactly results.proto's enums, in their numeric order: the
// order is the documented precedence, and the handler maps a name to its number as index + 1.
import { expect } from 'chai';
import {
  CreateAccountStatus as ProtoCreateAccountStatus,
  CreateTransferStatus as ProtoCreateTransferStatus,
} from '../../../../gen/grpc-js/clearmesh/ledger/v1/results.js';
import {
  CREATE_ACCOUNT_STATUSES,
  CREATE_TRANSFER_STATUSES,
  createAccountStatusNumber,
  createTransferStatusNumber,
  isRecordedTransferStatus,
} from '../../src/domain/index.js';

/** The proto enum's names without prefix, ordered by number, UNSPECIFIED and UNRECOGNIZED out. */
function protoNames(protoEnum: Record<string, string | number>, prefix: string): string[] {
  return Object.entries(protoEnum)
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > 0)
    .sort((left, right) => left[1] - right[1])
    .map(([name]) => name.slice(prefix.length));
}

describe('result statuses', () => {
  it('lists CreateTransferStatus in the numeric order of results.proto', () => {
    const names = protoNames(ProtoCreateTransferStatus, 'CREATE_TRANSFER_STATUS_');
    expect(CREATE_TRANSFER_STATUSES).to.deep.equal(names);
    for (const status of CREATE_TRANSFER_STATUSES) {
      const key = `CREATE_TRANSFER_STATUS_${status}` as keyof typeof ProtoCreateTransferStatus;
      expect(createTransferStatusNumber(status), status).to.equal(ProtoCreateTransferStatus[key]);
    }
  });

  it('lists CreateAccountStatus in the numeric order of results.proto', () => {
    const names = protoNames(ProtoCreateAccountStatus, 'CREATE_ACCOUNT_STATUS_');
    expect(CREATE_ACCOUNT_STATUSES).to.deep.equal(names);
    for (const status of CREATE_ACCOUNT_STATUSES) {
      const key = `CREATE_ACCOUNT_STATUS_${status}` as keyof typeof ProtoCreateAccountStatus;
      expect(createAccountStatusNumber(status), status).to.equal(ProtoCreateAccountStatus[key]);
    }
  });

  it('records exactly the statuses that depend on the ledger state (21 to 37)', () => {
    const recorded = CREATE_TRANSFER_STATUSES.filter(isRecordedTransferStatus);
    expect(recorded[0]).to.equal('DEBIT_ACCOUNT_NOT_FOUND');
    expect(recorded.at(-1)).to.equal('EXCEEDS_DEBITS');
    expect(recorded).to.have.length(17);
    for (const status of ['EXISTS', 'ID_ALREADY_FAILED', 'LINKED_EVENT_FAILED'] as const) {
      expect(isRecordedTransferStatus(status), status).to.equal(false);
    }
  });
});
