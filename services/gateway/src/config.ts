// The gateway's own settings, read once from the environment (the process settings every mesh
// process shares are read by readProcessConfig). Limits carry their units; a bad value stops
// start-up with one line naming the variable.
import {
  ConfigError,
  readInteger,
  readString,
  readUrl,
  type Environment,
} from '../../mesh/src/config.js';
import { readDialAddress } from '../../mesh/src/process-config.js';
import { redisUrlDefault } from '../../mesh/src/topology.js';
import { loadTrustedIssuers, type TrustedIssuer } from './trusted-issuers.js';

export interface GatewayConfig {
  /** host:port the account service is dialled at (ACCOUNT_TARGET, else ACCOUNT_ADDR). */
  readonly accountAddress: string;
  /** host:port the payment service is dialled at (PAYMENT_TARGET, else PAYMENT_ADDR). */
  readonly paymentAddress: string;
  /** Browser origins allowed by CORS: exact origins, or `scheme://host:*` for any port. */
  readonly corsOrigins: readonly string[];
  /** Expected `iss` and `aud` of access tokens: the account service's ACCOUNT_TOKEN_* values. */
  readonly tokenIssuer: string;
  readonly tokenAudience: string;
  /** Further issuers whose tokens are accepted (GATEWAY_TRUSTED_ISSUERS_FILE); none by default. */
  readonly trustedIssuers: readonly TrustedIssuer[];
  /** Clock skew tolerated on exp/nbf/iat; SPEC §5 caps it at 30 s. */
  readonly tokenLeewaySeconds: number;
  /** An unknown `kid` refreshes the JWKS at most this often (a flood of forged kids costs one call). */
  readonly jwksRefreshMinIntervalMs: number;
  /** The JWKS is refreshed in the background once it is this old. */
  readonly jwksMaxAgeMs: number;
  /** REDIS_URL: where the rate limits are shared by every replica (per replica while away). */
  readonly redisUrl: string;
  /** Prefix of the rate limits' Redis keys; the replicas of one deployment share it. */
  readonly rateLimitKeyPrefix: string;
  /** Per-partner token bucket: sustained requests per second and burst size. */
  readonly rateLimitPerSecond: number;
  readonly rateLimitBurst: number;
  /** Per-client-address token bucket of POST /oauth/token. */
  readonly tokenEndpointRatePerSecond: number;
  readonly tokenEndpointBurst: number;
  /** Largest grpc-web request body (after base64 decoding for -text) and largest message. */
  readonly requestBodyMaxBytes: number;
  /** Largest sum of request header names and values. */
  readonly headerBytesMax: number;
  /** Cap and default of a unary call's deadline. */
  readonly unaryDeadlineMaxMs: number;
  /** Cap and default of a server stream's deadline (WatchPayment). */
  readonly streamDeadlineMaxMs: number;
}

export const corsOriginsDevelopment = ['http://localhost:*', 'http://127.0.0.1:*'] as const;

export const gatewayConfigDefaults: Omit<
  GatewayConfig,
  'accountAddress' | 'paymentAddress' | 'redisUrl'
> = {
  corsOrigins: corsOriginsDevelopment,
  tokenIssuer: 'clearmesh',
  tokenAudience: 'clearmesh',
  trustedIssuers: [],
  tokenLeewaySeconds: 30,
  jwksRefreshMinIntervalMs: 10_000,
  jwksMaxAgeMs: 300_000,
  rateLimitKeyPrefix: 'clearmesh:ratelimit:',
  rateLimitPerSecond: 50,
  rateLimitBurst: 100,
  tokenEndpointRatePerSecond: 5,
  tokenEndpointBurst: 20,
  requestBodyMaxBytes: 64 * 1024,
  headerBytesMax: 16 * 1024,
  unaryDeadlineMaxMs: 30_000,
  streamDeadlineMaxMs: 600_000,
};

const originPattern = /^https?:\/\/[A-Za-z0-9.[\]:-]+?(?::(?:\d{1,5}|\*))?$/;

export function readGatewayConfig(env: Environment): GatewayConfig {
  const defaults = gatewayConfigDefaults;
  const integer = (name: string, fallback: number, min: number, max: number): number =>
    readInteger(env, name, fallback, { min, max });
  // The same variables the account service signs with, so one setting serves both.
  const tokenIssuer = readString(env, 'ACCOUNT_TOKEN_ISSUER', defaults.tokenIssuer);
  return {
    accountAddress: readDialAddress(env, 'account'),
    paymentAddress: readDialAddress(env, 'payment'),
    corsOrigins: readCorsOrigins(env),
    tokenIssuer,
    tokenAudience: readString(env, 'ACCOUNT_TOKEN_AUDIENCE', defaults.tokenAudience),
    trustedIssuers: loadTrustedIssuers(env['GATEWAY_TRUSTED_ISSUERS_FILE'], tokenIssuer),
    tokenLeewaySeconds: integer('GATEWAY_TOKEN_LEEWAY_SECONDS', defaults.tokenLeewaySeconds, 0, 30),
    jwksRefreshMinIntervalMs: integer(
      'GATEWAY_JWKS_REFRESH_MIN_INTERVAL_MS',
      defaults.jwksRefreshMinIntervalMs,
      100,
      3_600_000,
    ),
    jwksMaxAgeMs: integer('GATEWAY_JWKS_MAX_AGE_MS', defaults.jwksMaxAgeMs, 1_000, 86_400_000),
    redisUrl: readUrl(env, 'REDIS_URL', redisUrlDefault).toString(),
    rateLimitKeyPrefix: readString(
      env,
      'GATEWAY_RATE_LIMIT_KEY_PREFIX',
      defaults.rateLimitKeyPrefix,
    ),
    rateLimitPerSecond: integer(
      'GATEWAY_RATE_LIMIT_PER_SECOND',
      defaults.rateLimitPerSecond,
      1,
      100_000,
    ),
    rateLimitBurst: integer('GATEWAY_RATE_LIMIT_BURST', defaults.rateLimitBurst, 1, 1_000_000),
    tokenEndpointRatePerSecond: integer(
      'GATEWAY_TOKEN_RATE_LIMIT_PER_SECOND',
      defaults.tokenEndpointRatePerSecond,
      1,
      10_000,
    ),
    tokenEndpointBurst: integer(
      'GATEWAY_TOKEN_RATE_LIMIT_BURST',
      defaults.tokenEndpointBurst,
      1,
      100_000,
    ),
    requestBodyMaxBytes: integer(
      'GATEWAY_REQUEST_BODY_MAX_BYTES',
      defaults.requestBodyMaxBytes,
      1_024,
      4 * 1024 * 1024,
    ),
    headerBytesMax: integer('GATEWAY_HEADER_BYTES_MAX', defaults.headerBytesMax, 1_024, 65_536),
    unaryDeadlineMaxMs: integer(
      'GATEWAY_UNARY_DEADLINE_MAX_MS',
      defaults.unaryDeadlineMaxMs,
      100,
      300_000,
    ),
    streamDeadlineMaxMs: integer(
      'GATEWAY_STREAM_DEADLINE_MAX_MS',
      defaults.streamDeadlineMaxMs,
      1_000,
      86_400_000,
    ),
  };
}

/** GATEWAY_CORS_ORIGINS: comma-separated; empty or unset means the development default. */
function readCorsOrigins(env: Environment): readonly string[] {
  const text = readString(env, 'GATEWAY_CORS_ORIGINS', '');
  if (text === '') return corsOriginsDevelopment;
  const origins = text
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of origins) {
    if (!originPattern.test(origin)) {
      throw new ConfigError(
        `GATEWAY_CORS_ORIGINS: ${origin} is not an origin: expected e.g. https://bank.example or http://localhost:*`,
      );
    }
  }
  return origins;
}
