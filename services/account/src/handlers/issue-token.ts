// IssueToken: the gateway's POST /oauth/token. The credential is checked before the scopes, and
// every way it can be wrong (unknown client_id, wrong secret, revoked partner, too many recent
// failures) answers the same INVALID_CLIENT. An unknown client_id costs the same scrypt work as a
// known one. Failures are counted per presented client_id; once the window holds
// loginFailuresMax of them, attempts are refused without looking at the secret until it passes.
// Every failed login is audited with its real cause, for operators.
import * as grpc from '@grpc/grpc-js';
import type {
  IssueTokenRequest,
  IssueTokenResponse,
} from '../../../../gen/grpc-js/clearmesh/account/v1/account_service.js';
import { MeshError } from '../../../mesh/src/errors.js';
import type { CallContext, UnaryHandler } from '../../../mesh/src/rpc-runtime.js';
import { secretMatches, spendDummyVerification } from '../client-secrets.js';
import { checkCredentialShape, grantedScopes, type PartnerRecord } from '../domain/index.js';
import { findPartnerCredential, releaseLoginAttempt, reserveLoginAttempt } from '../store/index.js';
import type { HandlerDependencies } from './dependencies.js';
import { auditPartnerEvent } from './partner-audit.js';
import { refuseViolations } from './request-validation.js';

function invalidClient(): MeshError {
  return new MeshError(
    grpc.status.UNAUTHENTICATED,
    'INVALID_CLIENT',
    'client authentication failed',
    { metadata: { credential: 'client_secret' } },
  );
}

type Login =
  | { ok: true; partner: PartnerRecord }
  | { ok: false; partner: PartnerRecord | undefined; cause: string };

export function issueTokenHandler(
  dependencies: HandlerDependencies,
): UnaryHandler<IssueTokenRequest, IssueTokenResponse> {
  const { db, credentials } = dependencies;

  /** The partner whose credential this is, or why not. Counts nothing and audits nothing. */
  async function authenticate(clientId: string, clientSecret: string): Promise<Login> {
    const found = await findPartnerCredential(db, clientId);
    if (found === undefined) {
      await spendDummyVerification(clientSecret, credentials.secretHashing);
      return { ok: false, partner: undefined, cause: 'unknown client_id' };
    }
    const matches = await secretMatches(clientSecret, found.secret);
    if (!matches) return { ok: false, partner: found.partner, cause: 'wrong client_secret' };
    // scrypt takes a while: a rotation or revocation that committed meanwhile wins.
    const current = await findPartnerCredential(db, clientId);
    if (current === undefined || !current.secret.hash.equals(found.secret.hash)) {
      return { ok: false, partner: found.partner, cause: 'secret rotated during the check' };
    }
    if (current.partner.status !== 'ACTIVE') {
      return { ok: false, partner: current.partner, cause: 'partner REVOKED' };
    }
    return { ok: true, partner: current.partner };
  }

  async function refuse(
    context: CallContext,
    clientId: string,
    partner: PartnerRecord | undefined,
    cause: string,
  ): Promise<never> {
    await auditPartnerEvent(db, context, {
      action: 'IssueToken',
      outcome: 'INVALID_CLIENT',
      clientId,
      targetPartnerId: partner?.partnerId,
      reason: cause,
    });
    throw invalidClient();
  }

  return async (request, context) => {
    const { clientId, clientSecret } = request;
    refuseViolations(checkCredentialShape({ clientId, clientSecret }));
    const now = credentials.clock();
    const attempts = await reserveLoginAttempt(
      db,
      clientId,
      now,
      new Date(now.getTime() - credentials.loginFailureWindowMs),
    );
    if (attempts > credentials.loginFailuresMax) {
      return refuse(context, clientId, undefined, 'too many failed attempts');
    }
    const login = await authenticate(clientId, clientSecret);
    if (!login.ok) return refuse(context, clientId, login.partner, login.cause);
    await releaseLoginAttempt(db, clientId);
    const granted = grantedScopes(login.partner.scopes, request.scopes);
    if (!granted.ok) throw MeshError.invalidArgument([granted.violation]);
    const scope = granted.scopes.join(' ');
    const accessToken = await credentials.signingKeys.signAccessToken(
      { partnerId: login.partner.partnerId, clientId, scope },
      credentials.clock(),
    );
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresInSeconds: credentials.tokenLifetimeSeconds,
      scope,
    };
  };
}
