// Default-deny authorization: a policy file maps principal patterns to the RPC paths they may
// call. The file is validated at start-up against the methods the mesh actually serves, so a typo
// stops the process with one line instead of silently denying (or allowing) calls.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Principal } from './identity.js';

export const defaultPolicyPath = fileURLToPath(
  new URL('../policy/default-policy.json', import.meta.url),
);

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

interface Rule {
  readonly principals: readonly string[];
  readonly methods: readonly string[];
}

const principalPattern = /^(\*|(service|client)\/(\*|[a-z0-9][a-z0-9._-]{0,62}))$/;
const methodPattern = /^(\*|\/[a-z][\w.]*\.[A-Z]\w*\/(\*|[A-Z]\w*))$/;

export class AuthorizationPolicy {
  private readonly decisions = new Map<string, Map<string, boolean>>();

  private constructor(private readonly rules: readonly Rule[]) {}

  /** Reads and validates a policy file; `knownMethods` are full paths (/pkg.Service/Method). */
  static load(path: string, knownMethods: readonly string[]): AuthorizationPolicy {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new PolicyError(`policy ${path}: cannot read (${(error as Error).message})`);
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new PolicyError(`policy ${path}: not JSON (${(error as Error).message})`);
    }
    return AuthorizationPolicy.parse(document, knownMethods, path);
  }

  static parse(
    document: unknown,
    knownMethods: readonly string[],
    source: string,
  ): AuthorizationPolicy {
    const fail = (where: string, what: string): never => {
      throw new PolicyError(`policy ${source}: ${where}: ${what}`);
    };
    if (typeof document !== 'object' || document === null)
      return fail('top level', 'expected an object');
    const { version, rules, ...rest } = document as Record<string, unknown>;
    delete rest['description'];
    if (version !== 1) fail('version', 'expected 1');
    const unknownKeys = Object.keys(rest);
    if (unknownKeys.length > 0) fail('top level', `unknown key ${unknownKeys.join(', ')}`);
    if (!Array.isArray(rules) || rules.length === 0)
      return fail('rules', 'expected a non-empty list');
    const known = new Set(knownMethods);
    const knownServices = new Set(
      knownMethods.map((method) => method.slice(0, method.lastIndexOf('/'))),
    );
    const parsed = rules.map((rule: unknown, index): Rule => {
      const where = `rule ${index + 1}`;
      const { principals, methods, ...extra } = (rule ?? {}) as Record<string, unknown>;
      if (Object.keys(extra).length > 0)
        fail(where, `unknown key ${Object.keys(extra).join(', ')}`);
      const principalList =
        stringList(principals) ?? fail(where, 'principals: expected a list of strings');
      const methodList = stringList(methods) ?? fail(where, 'methods: expected a list of strings');
      for (const principal of principalList) {
        if (!principalPattern.test(principal)) {
          fail(where, `principal "${principal}" is not *, service/<name|*> or client/<name|*>`);
        }
      }
      for (const method of methodList) {
        if (!methodPattern.test(method))
          fail(where, `method "${method}" is not * or /package.Service/Method`);
        const service = method.slice(0, method.lastIndexOf('/'));
        if (method !== '*' && method.endsWith('/*') && !knownServices.has(service)) {
          fail(where, `unknown service ${service}`);
        }
        if (method !== '*' && !method.endsWith('/*') && !known.has(method)) {
          fail(where, `unknown method ${method}`);
        }
      }
      return { principals: principalList, methods: methodList };
    });
    return new AuthorizationPolicy(parsed);
  }

  allows(principal: Principal, methodPath: string): boolean {
    let byMethod = this.decisions.get(principal.id);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.decisions.set(principal.id, byMethod);
    }
    let decision = byMethod.get(methodPath);
    if (decision === undefined) {
      decision = this.rules.some(
        (rule) =>
          rule.principals.some((pattern) => matchesPrincipal(pattern, principal)) &&
          rule.methods.some((pattern) => matchesMethod(pattern, methodPath)),
      );
      // Bounded by principals × methods: both finite, known sets.
      byMethod.set(methodPath, decision);
    }
    return decision;
  }
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.every((item): item is string => typeof item === 'string') ? value : undefined;
}

function matchesPrincipal(pattern: string, principal: Principal): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return pattern.slice(0, -2) === principal.kind;
  return pattern === principal.id;
}

function matchesMethod(pattern: string, methodPath: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) return methodPath.startsWith(pattern.slice(0, -1));
  return pattern === methodPath;
}
