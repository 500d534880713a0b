// Typed configuration read once from the environment. A bad value stops start-up with one line
// that names the variable, what was wrong and what is expected.
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Environment = Readonly<Record<string, string | undefined>>;

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function readString(env: Environment, name: string, fallback: string): string {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  return value;
}

export function readAddress(env: Environment, name: string, fallback: string): HostPort {
  const text = readString(env, name, fallback);
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !Number.isInteger(port) || port > 65535) {
    throw new ConfigError(
      `${name}=${text} is not an address: expected host:port, e.g. ${fallback}`,
    );
  }
  return { host, port };
}

export function readInteger(
  env: Environment,
  name: string,
  fallback: number,
  limits: { min: number; max: number },
): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || value < limits.min || value > limits.max) {
    throw new ConfigError(
      `${name}=${text} is out of range: expected an integer from ${limits.min} to ${limits.max}`,
    );
  }
  return value;
}

export function readUrl(env: Environment, name: string, fallback: string): URL {
  const text = readString(env, name, fallback);
  try {
    return new URL(text);
  } catch {
    throw new ConfigError(`${name} is not a URL: expected e.g. ${fallback}`);
  }
}

export function formatAddress(address: HostPort): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
