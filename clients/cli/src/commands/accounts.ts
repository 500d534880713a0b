// `accounts …` and `balances`: open, read, list, freeze, unfreeze and close accounts through the
// AccountService; balances adds the ledger's four sums (optionally as of an instant).
import { AccountKind, type Account } from '../../../../gen/grpc-js/clearmesh/account/v1/account.js';
import { currencyDigits, formatMoney, parseAmount } from '../amounts.js';
import { exitOk, keyOption, type Command, type CommandContext } from '../command.js';
import { UsageError } from '../usage-error.js';
import { accountFields, accountLine, accountView } from '../views.js';

const pageOptions = {
  'page-size': { type: 'string' },
  'page-token': { type: 'string' },
} as const;

function parseKind(text: string | undefined): AccountKind {
  switch (text ?? 'customer') {
    case 'customer':
      return AccountKind.ACCOUNT_KIND_CUSTOMER;
    case 'settlement':
      return AccountKind.ACCOUNT_KIND_SETTLEMENT;
    default:
      throw new UsageError(`--kind ${text ?? ''}: expected customer or settlement`);
  }
}

function showAccount(context: CommandContext, account: Account | undefined, extra = {}): number {
  if (account === undefined) throw new Error('the account service answered no account');
  const view = accountView(account);
  context.out.document({ ...extra, account: view });
  context.out.fields(accountFields(view));
  return exitOk;
}

const open: Command = {
  words: ['accounts', 'open'],
  synopsis:
    '--owner <id> --currency <code> [--kind customer|settlement] [--overdraft <amount>] ' +
    '[--name <text>] [--key <request id>] [--minor]',
  summary: 'open an account (and its ledger account); --key makes a retry answer the same account',
  options: {
    owner: { type: 'string' },
    currency: { type: 'string' },
    kind: { type: 'string' },
    overdraft: { type: 'string' },
    name: { type: 'string' },
    minor: { type: 'boolean' },
    ...keyOption,
  },
  positionals: [],
  run: async (context) => {
    const { flags, out } = context;
    const ownerId = flags.required('owner');
    const currency = flags.required('currency').toUpperCase();
    currencyDigits(currency);
    const kind = parseKind(flags.string('kind'));
    const overdraftText = flags.string('overdraft');
    if (overdraftText !== undefined && kind === AccountKind.ACCOUNT_KIND_SETTLEMENT) {
      throw new UsageError('--overdraft applies to customer accounts only');
    }
    const overdraftLimit =
      overdraftText === undefined
        ? 0n
        : parseAmount(overdraftText, currency, {
            flag: '--overdraft',
            minor: flags.boolean('minor'),
            allowZero: true,
          });
    const requestId = flags.idempotencyKey(out);
    const { account } = await context
      .mesh()
      .account()
      .call.openAccount({
        requestId,
        ownerId,
        currency,
        kind,
        overdraftLimit,
        displayName: flags.string('name') ?? '',
        metadata: {},
      });
    return showAccount(context, account, { requestId });
  },
};

const get: Command = {
  words: ['accounts', 'get'],
  synopsis: '<account id>',
  summary: 'show an account with its current balance',
  options: {},
  positionals: ['account id'],
  run: async (context) => {
    const { account } = await context
      .mesh()
      .account()
      .call.getAccount({ accountId: context.flags.positional(0) });
    return showAccount(context, account);
  },
};

const list: Command = {
  words: ['accounts', 'list'],
  synopsis: '[--owner <id>] [--page-size <n>] [--page-token <token>]',
  summary: 'list accounts, oldest first (one page; the next page token is printed)',
  options: { owner: { type: 'string' }, ...pageOptions },
  positionals: [],
  run: async (context) => {
    const { flags, out } = context;
    const response = await context
      .mesh()
      .account()
      .call.listAccounts({
        ownerId: flags.string('owner') ?? '',
        pageSize: flags.integer('page-size', { min: 1, max: 500 }) ?? 0,
        pageToken: flags.string('page-token') ?? '',
      });
    const views = response.accounts.map(accountView);
    out.document({ accounts: views, nextPageToken: response.nextPageToken });
    for (const view of views) out.line(accountLine(view));
    if (views.length === 0) out.line('no accounts');
    if (response.nextPageToken !== '')
      out.line(`next page: --page-token ${response.nextPageToken}`);
    return exitOk;
  },
};

function statusChange(verb: 'freeze' | 'unfreeze' | 'close', summary: string): Command {
  return {
    words: ['accounts', verb],
    synopsis: verb === 'close' ? '<account id>' : '<account id> [--reason <text>]',
    summary,
    options: verb === 'close' ? {} : { reason: { type: 'string' } },
    positionals: ['account id'],
    run: async (context) => {
      const accountId = context.flags.positional(0);
      const reason = context.flags.string('reason') ?? '';
      const client = context.mesh().account().call;
      const { account } =
        verb === 'freeze'
          ? await client.freezeAccount({ accountId, reason })
          : verb === 'unfreeze'
            ? await client.unfreezeAccount({ accountId, reason })
            : await client.closeAccount({ accountId });
      return showAccount(context, account);
    },
  };
}

const balances: Command = {
  words: ['balances'],
  synopsis: '<account id> [--as-of <ISO 8601 time>]',
  summary: "an account's balance and the ledger's debit and credit sums (now, or as of a time)",
  options: { 'as-of': { type: 'string' } },
  positionals: ['account id'],
  run: async (context) => {
    const { flags, out } = context;
    const accountId = flags.positional(0);
    const asOfText = flags.string('as-of');
    const asOf = asOfText === undefined ? undefined : new Date(asOfText);
    if (asOf !== undefined && Number.isNaN(asOf.getTime())) {
      throw new UsageError(`--as-of ${asOfText ?? ''}: expected a time like 2025-01-31T12:00:00Z`);
    }
    const mesh = context.mesh();
    const { account } = await mesh.account().call.getAccount({ accountId });
    if (account === undefined) throw new Error('the account service answered no account');
    const ledger = await mesh.ledger().call.getAccountBalances({ accountId, asOf });
    const sums = {
      debitsPending: ledger.debitsPending.toString(),
      debitsPosted: ledger.debitsPosted.toString(),
      creditsPending: ledger.creditsPending.toString(),
      creditsPosted: ledger.creditsPosted.toString(),
    };
    const view = accountView(account);
    out.document({
      accountId,
      currency: account.currency,
      balance: view.balance,
      ledger: { asOf: ledger.asOf?.toISOString() ?? null, ...sums },
    });
    const money = (minor: bigint): string => formatMoney(minor, account.currency);
    const now = account.balance;
    out.fields([
      ['account', accountId],
      ['status', view.status],
      ['posted', now === undefined ? '—' : money(now.posted)],
      ['pending', now === undefined ? '—' : money(now.pending)],
      ['available', now === undefined ? '—' : money(now.available)],
      ['as of', ledger.asOf?.toISOString() ?? 'now'],
      ['debits posted', money(ledger.debitsPosted)],
      ['credits posted', money(ledger.creditsPosted)],
      ['debits pending', money(ledger.debitsPending)],
      ['credits pending', money(ledger.creditsPending)],
    ]);
    return exitOk;
  },
};

export const accountCommands: readonly Command[] = [
  open,
  get,
  list,
  statusChange('freeze', 'freeze an account: it can neither send nor receive'),
  statusChange('unfreeze', 'make a frozen account active again'),
  statusChange('close', 'close an account with zero balance and no pending hold (final)'),
  balances,
];
