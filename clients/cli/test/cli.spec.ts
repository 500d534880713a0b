// The clearmesh CLI against a real mesh (ledger, account and payment behind real mTLS), called
// as client/admin from the run's PKI: the demo story end to end, each command's output in both
// forms, refusals as one line with exit 1, and command lines it cannot run with exit 2. Most
// commands run in-process through runCli; two run as the real program, for argv and exit codes.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { runCli } from '../src/run-cli.js';
import { testRun } from '../../../test/harness/test-run.js';
import {
  startPaymentTestMesh,
  type PaymentTestMesh,
} from '../../../services/payment/test/payment-test-mesh.js';

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const mainPath = new URL('../src/main.ts', import.meta.url).pathname;

describe('clearmesh CLI', function () {
  this.timeout(60_000);
  let mesh: PaymentTestMesh;
  let env: Record<string, string>;

  before(async () => {
    mesh = await startPaymentTestMesh({ schema: 'cli' });
    env = {
      CERTS_DIR: testRun().pki.directory,
      TRUST_DOMAIN: testRun().pki.trustDomain,
      ACCOUNT_TARGET: mesh.accounts.accountAddress,
      LEDGER_TARGET: mesh.accounts.ledgerAddress,
      PAYMENT_TARGET: mesh.paymentAddress,
    };
  });
  after(async () => {
    await mesh.stop();
  });

  function cli(...argv: string[]): Promise<CliResult> {
    return cliWith({}, ...argv);
  }

  async function cliWith(overrides: Record<string, string>, ...argv: string[]): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      env: { ...env, ...overrides },
      streams: {
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
      },
    });
    return { code, stdout, stderr };
  }

  /** Runs with --json, expects exit 0, and answers the parsed document. */
  async function cliJson(...argv: string[]): Promise<Record<string, unknown>> {
    const result = await cli(...argv, '--json');
    expect(result.code, result.stderr).to.equal(0);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  function spawnCli(...argv: string[]): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', mainPath, ...argv], {
        env: { ...process.env, ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
  }

  async function openCustomer(currency = 'EUR', owner = `cli-${randomUUID()}`): Promise<string> {
    const document = await cliJson('accounts', 'open', '--owner', owner, '--currency', currency);
    return (document['account'] as { accountId: string }).accountId;
  }

  it('runs the demo as a program: every step printed, balances as expected, exit 0', async () => {
    const result = await spawnCli('demo');
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/opened settlement account [0-9a-f-]{36}/);
    expect(result.stdout).to.match(/Alice paid Bob 25\.00 EUR \(AUTOMATIC\): SUCCEEDED/);
    expect(result.stdout).to.match(/captured 30\.00 EUR of it, the rest released: SUCCEEDED/);
    expect(result.stdout).to.match(/alice\s+55\.00 EUR\n/);
    expect(result.stdout).to.match(/bob\s+45\.00 EUR\n/);
    expect(result.stdout).to.match(/settlement\s+-100\.00 EUR\n/);
    expect(result.stdout).to.contain('ledger integrity: ok');
    expect(result.stdout).to.contain('demo finished: every balance as expected');
  });

  it('answers the demo as one JSON document whose balances the ledger agrees with', async () => {
    const document = await cliJson('demo', '--currency', 'JPY');
    expect(document['ok']).to.equal(true);
    const accounts = document['accounts'] as Record<'settlement' | 'alice' | 'bob', string>;
    expect(await mesh.balances(accounts.alice)).to.deep.equal({ posted: 55n, held: 0n });
    expect(await mesh.balances(accounts.bob)).to.deep.equal({ posted: 45n, held: 0n });
    expect(await mesh.balances(accounts.settlement)).to.deep.equal({ posted: -100n, held: 0n });
    const integrity = document['integrity'] as { ok: boolean };
    expect(integrity.ok).to.equal(true);
  });

  it('pays decimal amounts as exact minor units, and a retry with --key answers the same payment', async () => {
    const [payer, payee] = [await openCustomer(), await openCustomer()];
    await mesh.fund(payer, 10_000n);
    const key = `cli-test-${randomUUID()}`;
    const args = ['pay', '--from', payer, '--to', payee, '--amount', '12.34', '--currency', 'EUR'];
    const first = await cliJson(...args, '--key', key);
    const payment = first['payment'] as { paymentId: string; status: string; amount: unknown };
    expect(payment.status).to.equal('SUCCEEDED');
    expect(payment.amount).to.deep.equal({ amount: '1234', currency: 'EUR' });
    const again = await cliJson(...args, '--key', key);
    expect(again).to.deep.equal(first);
    expect(await mesh.balances(payer)).to.deep.equal({ posted: 10_000n - 1234n, held: 0n });

    const yen = [await openCustomer('JPY'), await openCustomer('JPY')] as const;
    await mesh.fund(yen[0], 1_000n, 'JPY');
    const human = await cli(
      'pay',
      '--from',
      yen[0],
      '--to',
      yen[1],
      '--amount',
      '100',
      '--currency',
      'jpy',
    );
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/amount\s+100 JPY\n/);
    expect(human.stderr).to.match(/idempotency key cli-[0-9a-f-]{36} \(retry with --key/);
    expect(await mesh.balances(yen[1])).to.deep.equal({ posted: 100n, held: 0n });
  });

  it('prints a declined payment with its reason and exits 1', async () => {
    const [payer, payee] = [await openCustomer(), await openCustomer()];
    const result = await cli(
      'pay',
      '--from',
      payer,
      '--to',
      payee,
      '--amount',
      '5',
      '--currency',
      'EUR',
    );
    expect(result.code).to.equal(1);
    expect(result.stdout).to.match(/status\s+FAILED \(INSUFFICIENT_FUNDS\)/);
    expect(result.stderr).to.match(/payment [0-9a-f-]{36} FAILED: INSUFFICIENT_FUNDS/);
  });

  it('prints a refused call as one line with the gRPC code, reason and message, and exits 1', async () => {
    const missing = await cli('accounts', 'get', randomUUID());
    expect(missing.code).to.equal(1);
    expect(missing.stdout).to.equal('');
    expect(missing.stderr).to.match(/^error: NOT_FOUND ACCOUNT_NOT_FOUND: .+\n$/);

    const settlement = (
      (
        await cliJson(
          'accounts',
          'open',
          '--owner',
          'clearmesh',
          '--currency',
          'EUR',
          '--kind',
          'settlement',
        )
      )['account'] as { accountId: string }
    ).accountId;
    const payee = await openCustomer();
    const asDemo = await cli(
      'pay',
      '--identity',
      'demo',
      '--from',
      settlement,
      '--to',
      payee,
      '--amount',
      '1',
      '--currency',
      'EUR',
    );
    expect(asDemo.code).to.equal(1);
    // The generated key is noted first; the refusal is the last line.
    expect(asDemo.stderr).to.match(/\nerror: PERMISSION_DENIED [A-Z_]+: .+\n$/);

    const invalid = await cli('payments', 'get', 'not-a-uuid', '--json');
    expect(invalid.code).to.equal(1);
    const { error } = JSON.parse(invalid.stderr) as { error: { code: string; reason: string } };
    expect(error).to.include({ code: 'INVALID_ARGUMENT', reason: 'VALIDATION_FAILED' });
  });

  it('captures part of a MANUAL payment, refunds part, cancels another and watches one to its end', async () => {
    const [payer, payee] = [await openCustomer(), await openCustomer()];
    await mesh.fund(payer, 10_000n);
    const pay = (amount: string) =>
      cliJson(
        'pay',
        '--from',
        payer,
        '--to',
        payee,
        '--amount',
        amount,
        '--currency',
        'EUR',
        '--manual',
      );
    const held = (await pay('40'))['payment'] as { paymentId: string; status: string };
    expect(held.status).to.equal('REQUIRES_CAPTURE');
    const captured = await cliJson('capture', held.paymentId, '--amount', '30.50');
    expect(captured['payment']).to.deep.include({
      status: 'SUCCEEDED',
      amountCaptured: { amount: '3050', currency: 'EUR' },
    });
    const refund = await cliJson(
      'refund',
      held.paymentId,
      '--amount',
      '1000',
      '--minor',
      '--reason',
      'test',
    );
    expect(refund['refund']).to.deep.include({
      status: 'SUCCEEDED',
      amount: { amount: '1000', currency: 'EUR' },
      reason: 'test',
    });
    expect(await mesh.balances(payee)).to.deep.equal({ posted: 2050n, held: 0n });

    const other = (await pay('7'))['payment'] as { paymentId: string };
    const canceled = await cli('cancel', other.paymentId);
    expect(canceled.code, canceled.stderr).to.equal(0);
    expect(canceled.stdout).to.match(/status\s+CANCELED\n/);

    const watched = await cli('payments', 'watch', held.paymentId, '--json');
    expect(watched.code, watched.stderr).to.equal(0);
    const updates = watched.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(updates.at(-1)).to.have.nested.property('payment.status', 'SUCCEEDED');

    const listed = await cliJson('payments', 'list', '--account', payer, '--status', 'canceled');
    expect((listed['payments'] as { paymentId: string }[]).map((p) => p.paymentId)).to.deep.equal([
      other.paymentId,
    ]);
    const balances = await cli('balances', payer);
    expect(balances.code, balances.stderr).to.equal(0);
    expect(balances.stdout).to.match(/posted\s+79\.50 EUR\n/);
  });

  it('opens, lists, freezes, unfreezes and closes accounts, and manages partners', async () => {
    const owner = `cli-owner-${randomUUID()}`;
    const opened = await cliJson(
      'accounts',
      'open',
      '--owner',
      owner,
      '--currency',
      'EUR',
      '--overdraft',
      '5.00',
      '--name',
      'Shop',
    );
    const account = opened['account'] as { accountId: string; overdraftLimit: string };
    expect(account.overdraftLimit).to.equal('500');
    expect(opened['requestId']).to.match(/^cli-/);
    const listed = await cliJson('accounts', 'list', '--owner', owner);
    expect((listed['accounts'] as { accountId: string }[]).map((a) => a.accountId)).to.deep.equal([
      account.accountId,
    ]);
    const frozen = await cli('accounts', 'freeze', account.accountId, '--reason', 'test');
    expect(frozen.stdout).to.match(/status\s+FROZEN\n/);
    expect((await cli('accounts', 'unfreeze', account.accountId)).stdout).to.match(/ACTIVE/);
    const closed = await cli('accounts', 'close', account.accountId);
    expect(closed.code, closed.stderr).to.equal(0);
    expect(closed.stdout).to.match(/status\s+CLOSED\n/);

    const created = await cli(
      'partners',
      'create',
      '--name',
      'Bank',
      '--scopes',
      'payments:read,payments:write',
    );
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.match(/client secret\s+\S{20,}\n/);
    expect(created.stdout).to.contain('shown only now');
    const partnerId = /partner\s+(\S+)\n/.exec(created.stdout)?.[1] ?? '';
    const firstSecret = /client secret\s+(\S+)\n/.exec(created.stdout)?.[1] ?? '';
    const rotated = await cliJson('partners', 'rotate-secret', partnerId);
    expect(rotated['clientSecret']).to.be.a('string');
    // A new secret, not the first one printed again.
    expect(rotated['clientSecret'])
      .to.match(/^\S{20,}$/)
      .and.not.equal(firstSecret);
    const revoked = await cliJson('partners', 'revoke', partnerId);
    expect(revoked['partner']).to.include({ partnerId, status: 'REVOKED' });
  });

  it('checks the ledger and reports it balanced', async () => {
    const document = await cliJson('ledger', 'check-integrity');
    expect(document['ok']).to.equal(true);
    expect(document['mismatches']).to.deep.equal([]);
  });

  it('refuses command lines it cannot run with one usage line and exit 2, before any call', async () => {
    const cases: [string[], RegExp][] = [
      [['pay', '--to', 'x', '--amount', '1', '--currency', 'EUR'], /--from is required/],
      [
        ['pay', '--from', 'a', '--to', 'b', '--amount', '12.345', '--currency', 'EUR'],
        /2 decimal places/,
      ],
      [
        ['pay', '--from', 'a', '--to', 'b', '--amount=-5', '--currency', 'EUR'],
        /expected a decimal/,
      ],
      [['pay', '--from', 'a', '--to', 'b', '--amount', '1', '--currency', 'XXX'], /ISO 4217/],
      [['accounts', 'open', '--owner', 'o', '--currency', 'EUR', '--kind', 'bank'], /--kind bank/],
      [['accounts', 'get'], /takes <account id>/],
      [['accounts', 'get', 'a', 'b'], /takes <account id>/],
      [['accounts', 'list', '--colour'], /Unknown option '--colour'/],
      [['payments', 'list', '--status', 'done'], /--status done/],
      [['accounts', 'list', '--timeout-ms', 'soon'], /--timeout-ms soon/],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(...argv);
      expect(result.code, argv.join(' ')).to.equal(2);
      expect(result.stderr, argv.join(' ')).to.match(message);
      expect(result.stderr.trim().split('\n'), argv.join(' ')).to.have.length(1);
    }
    const unknown = await cli('accounts', 'explode');
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.contain('unknown command: accounts explode');
    const help = await cli('pay', '--help');
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^clearmesh pay --from/);
  });

  it('exits 2 as a program for a usage error or a missing identity, 1 for a mesh it cannot reach', async () => {
    const usage = await spawnCli('pay', '--amount', '1');
    expect(usage.code).to.equal(2);
    expect(usage.stderr).to.match(/^usage: /);
    const missingCerts = await cli('accounts', 'list', '--identity', 'nobody');
    expect(missingCerts.code).to.equal(2);
    expect(missingCerts.stderr).to.match(/nobody\.crt not found/);
    const unreachable = await cliWith(
      { ACCOUNT_TARGET: '127.0.0.1:1' },
      'accounts',
      'list',
      '--timeout-ms',
      '2000',
    );
    expect(unreachable.code).to.equal(1);
    expect(unreachable.stderr).to.match(/^error: UNAVAILABLE: .+\n$/);
  });
});
