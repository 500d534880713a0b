// Proto <-> domain for accounts and partners.
import {
  AccountKind as ProtoAccountKind,
  AccountStatus as ProtoAccountStatus,
  type Account,
} from '../../../../gen/grpc-js/clearmesh/account/v1/account.js';
import {
  PartnerStatus as ProtoPartnerStatus,
  type Partner,
} from '../../../../gen/grpc-js/clearmesh/account/v1/partner.js';
import type { LedgerAccount } from '../../../../gen/grpc-js/clearmesh/ledger/v1/ledger_account.js';
import {
  balanceOf,
  type AccountKind,
  type AccountRecord,
  type AccountStatus,
  type Balance,
  type PartnerRecord,
  type PartnerStatus,
} from '../domain/index.js';

export function accountKindFromProto(kind: ProtoAccountKind): AccountKind | undefined {
  if (kind === ProtoAccountKind.ACCOUNT_KIND_CUSTOMER) return 'CUSTOMER';
  if (kind === ProtoAccountKind.ACCOUNT_KIND_SETTLEMENT) return 'SETTLEMENT';
  return undefined;
}

const kindToProto: Readonly<Record<AccountKind, ProtoAccountKind>> = {
  CUSTOMER: ProtoAccountKind.ACCOUNT_KIND_CUSTOMER,
  SETTLEMENT: ProtoAccountKind.ACCOUNT_KIND_SETTLEMENT,
};

const statusToProto: Readonly<Record<AccountStatus, ProtoAccountStatus>> = {
  ACTIVE: ProtoAccountStatus.ACCOUNT_STATUS_ACTIVE,
  FROZEN: ProtoAccountStatus.ACCOUNT_STATUS_FROZEN,
  CLOSED: ProtoAccountStatus.ACCOUNT_STATUS_CLOSED,
};

export function accountToProto(account: AccountRecord, balance: Balance): Account {
  return {
    accountId: account.accountId,
    ownerId: account.ownerId,
    currency: account.currency,
    kind: kindToProto[account.kind],
    status: statusToProto[account.status],
    overdraftLimit: account.overdraftLimit,
    displayName: account.displayName,
    metadata: { ...account.metadata },
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
    balance: { ...balance },
  };
}

/** The account with its balance from its ledger account. */
export function accountWithLedger(account: AccountRecord, ledger: LedgerAccount): Account {
  return accountToProto(account, balanceOf(ledger, account.overdraftLimit));
}

const partnerStatusToProto: Readonly<Record<PartnerStatus, ProtoPartnerStatus>> = {
  ACTIVE: ProtoPartnerStatus.PARTNER_STATUS_ACTIVE,
  REVOKED: ProtoPartnerStatus.PARTNER_STATUS_REVOKED,
};

export function partnerToProto(partner: PartnerRecord): Partner {
  return {
    partnerId: partner.partnerId,
    clientId: partner.clientId,
    displayName: partner.displayName,
    scopes: [...partner.scopes],
    status: partnerStatusToProto[partner.status],
    createdAt: partner.createdAt,
  };
}
