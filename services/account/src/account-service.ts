// The account service assembled: handlers, the open-account recovery, the pruning of expired
// failed-login windows and the signing key rotation over one database pool and one ledger
// client. main.ts runs it in a process; tests run it in theirs.
import type { LedgerClient } from '../../../clients/internal/src/index.js';
import { AccountServiceService } from '../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import type { Knex } from '../../mesh/src/database.js';
import type { Logger } from '../../mesh/src/logger.js';
import { PageTokens } from '../../mesh/src/page-token.js';
import { PeriodicTask } from '../../mesh/src/periodic-task.js';
import { serviceRegistration, type ServiceRegistration } from '../../mesh/src/server.js';
import { scryptParameters } from './client-secrets.js';
import { TOKEN_LIFETIME_SECONDS_MAX, type AccountConfig } from './config.js';
import { accountHandlers } from './handlers/index.js';
import { loginFailurePruning as createLoginFailurePruning } from './login-failure-pruning.js';
import { OpenAccountRecovery } from './open-account-recovery.js';
import { SigningKeySeal } from './signing-key-seal.js';
import { SigningKeys, type SigningKeyPass } from './signing-keys.js';

export interface AccountServiceOptions {
  readonly db: Knex;
  readonly logger: Logger;
  /** The ledger, called as service/account. */
  readonly ledger: LedgerClient;
  readonly config: Pick<
    AccountConfig,
    | 'pageTokenSecret'
    | 'recoveryIntervalMs'
    | 'recoveryGraceMs'
    | 'recoveryBatchMax'
    | 'secretHashCost'
    | 'signingKeySecrets'
    | 'signingKeyMaxAgeDays'
    | 'tokenIssuer'
    | 'tokenAudience'
    | 'tokenLifetimeSeconds'
    | 'loginFailuresMax'
    | 'loginFailureWindowMs'
  >;
  /** Now, for partners, tokens and the failed-login window; tests drive it. */
  readonly clock?: () => Date;
}

export interface AccountService {
  readonly registration: ServiceRegistration;
  readonly recovery: OpenAccountRecovery;
  /** Deletes expired failed-login windows once per window; runOnce() for a pass now. */
  readonly loginFailurePruning: PeriodicTask<number>;
  /** The access token signing keys (rotated by age by signingKeyRotation; rotate() at once). */
  readonly signingKeys: SigningKeys;
  /** Hourly: rotates a signing key past its maximum age, deletes keys no longer published. */
  readonly signingKeyRotation: PeriodicTask<SigningKeyPass>;
  /**
   * Prepares the signing keys (seals any not sealed under the current secret, creates the first
   * if none exists), then starts the recovery pass and its timer, the pruning timer and the
   * signing key rotation. Rejects, starting nothing, when a stored signing key does not open
   * (wrong ACCOUNT_SIGNING_KEY_SECRET).
   */
  start(): Promise<void>;
  /** Stops the timers and waits for passes in progress. */
  stop(): Promise<void>;
}

export function createAccountService(options: AccountServiceOptions): AccountService {
  const { db, ledger, config } = options;
  const recovery = new OpenAccountRecovery(db, ledger, {
    intervalMs: config.recoveryIntervalMs,
    graceMs: config.recoveryGraceMs,
    batchMax: config.recoveryBatchMax,
    logger: options.logger,
  });
  const clock = options.clock ?? (() => new Date());
  const loginFailurePruning = createLoginFailurePruning(db, {
    windowMs: config.loginFailureWindowMs,
    clock,
    logger: options.logger,
  });
  // One value for the token's exp and for expires_in_seconds, so the two cannot disagree.
  const tokenLifetimeSeconds = Math.min(config.tokenLifetimeSeconds, TOKEN_LIFETIME_SECONDS_MAX);
  const signingKeys = new SigningKeys(
    db,
    {
      issuer: config.tokenIssuer,
      audience: config.tokenAudience,
      lifetimeSeconds: tokenLifetimeSeconds,
      lifetimeMaxSeconds: TOKEN_LIFETIME_SECONDS_MAX,
    },
    new SigningKeySeal(config.signingKeySecrets),
    clock,
  );
  const signingKeyRotation = signingKeyRotationTask(signingKeys, {
    maxAgeMs: config.signingKeyMaxAgeDays * 86_400_000,
    logger: options.logger,
  });
  const handlers = accountHandlers({
    db,
    ledger,
    pageTokens: new PageTokens(config.pageTokenSecret),
    credentials: {
      secretHashing: scryptParameters(config.secretHashCost),
      signingKeys,
      tokenLifetimeSeconds,
      loginFailuresMax: config.loginFailuresMax,
      loginFailureWindowMs: config.loginFailureWindowMs,
      clock,
    },
  });
  return {
    registration: serviceRegistration(AccountServiceService, handlers),
    recovery,
    loginFailurePruning,
    signingKeys,
    signingKeyRotation,
    start: async () => {
      await signingKeys.ensureKey();
      recovery.start();
      loginFailurePruning.start();
      signingKeyRotation.start();
    },
    stop: async () => {
      await Promise.all([recovery.stop(), loginFailurePruning.stop(), signingKeyRotation.stop()]);
    },
  };
}

/** How often replicas check the signing key's age (the pass is cheap and rotates once). */
const signingKeyRotationIntervalMs = 3_600_000;

function signingKeyRotationTask(
  signingKeys: SigningKeys,
  options: { readonly maxAgeMs: number; readonly logger: Logger },
): PeriodicTask<SigningKeyPass> {
  return new PeriodicTask(() => signingKeys.rotateWhenOlderThan(options.maxAgeMs), {
    intervalMs: signingKeyRotationIntervalMs,
    runAtStart: true,
    onResult: (pass) => {
      if (pass.rotatedTo !== undefined) {
        options.logger.info({ kid: pass.rotatedTo }, 'signing key rotated: it had reached its age');
      }
      if (pass.deleted.length > 0) {
        options.logger.info({ kids: pass.deleted }, 'retired signing keys deleted');
      }
    },
    onError: (error) => {
      options.logger.warn({ err: error }, 'the signing key rotation pass failed');
    },
  });
}
