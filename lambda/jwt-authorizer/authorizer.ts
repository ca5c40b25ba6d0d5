/**
 * API Gateway REST API `REQUEST` authorizer that verifies JWTs of an OIDC issuer (any issuer, not
 * only Cognito) with aws-jwt-verify, and checks per-route scopes.
 *
 * Outcomes:
 * - valid token whose scopes satisfy the route: Allow policy;
 * - valid token with insufficient scope, or a route that is not configured: Deny policy (403);
 * - anything else: the promise rejects with `Error('Unauthorized')` (401). No other error escapes.
 *   Among them: a protected header with `crit` (`crit_unsupported`) or a `typ` other than a JWT or
 *   a JWT access token (`typ_unsupported`), and a lifetime over `maxTokenLifetimeSeconds`
 *   (`lifetime_too_long`).
 *
 * The policy covers the request's method and resource (path parameters as `*`), never the
 * concrete path, so that API Gateway can cache it for every request to that method and resource.
 *
 * Only access tokens pass: a token saying it is another kind (Cognito's `token_use: id`) is
 * refused, and so is one issued in the future (`iat` beyond the clock skew allowed). A token's
 * segments must be canonical base64url (no padding, unused bits zero), so that one token has one
 * spelling and API Gateway one cache entry for it.
 *
 * The signing keys are used for `jwksCacheTtlSeconds` after they were fetched, then fetched again,
 * so a key the issuer withdraws stops verifying within that time; a token with an unknown kid
 * fetches them at once (jwks-cache.ts).
 *
 * Logging: at most one JSON line per invocation, with a reason code; never the token, the
 * Authorization header or any claim other than `sub`. The exception: an invocation whose refresh
 * of the keys failed logs that failure too (`keys not refreshed, cached keys kept`) before its own
 * line, if any.
 */
import { HttpsFetcher } from './fetcher';
import { ExpiringJwksCache } from './jwks-cache';
import type { Fetcher } from 'aws-jwt-verify/https';
import type { Jwks } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import {
  FetchError,
  JwkInvalidKtyError,
  JwkInvalidUseError,
  JwksValidationError,
  JwkValidationError,
  JwksNotAvailableInCacheError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidClaimError,
  JwtInvalidIssuerError,
  JwtInvalidScopeError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  NonRetryableFetchError,
  ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';

/** Authorization header values longer than this are rejected before any parsing. */
export const MAX_AUTHORIZATION_HEADER_LENGTH = 8192;

/** Longest token lifetime accepted unless configured: 24 hours. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400;

/** Age at which the signing keys are fetched again unless configured: 10 minutes. */
export const DEFAULT_JWKS_CACHE_TTL_SECONDS = 600;

/** Upper bound of `maxTokenLifetimeSeconds` and `jwksCacheTtlSeconds`: a year. */
export const MAX_SETTING_SECONDS = 31_536_000;

/** HTTP methods a route key may name (`ANY` matches every method without a route of its own). */
export const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'] as const;

// ---------------------------------------------------------------------------------------------
// Event and result (the subset of API Gateway's REST REQUEST authorizer contract used here)
// ---------------------------------------------------------------------------------------------

/** API Gateway REST API `REQUEST` authorizer event. Every field is checked at run time. */
export interface RequestAuthorizerEvent {
  readonly type?: string;
  readonly methodArn?: string;
  readonly resource?: string;
  readonly path?: string;
  readonly httpMethod?: string;
  readonly headers?: { readonly [name: string]: string | undefined } | null;
  readonly multiValueHeaders?: { readonly [name: string]: readonly string[] | undefined } | null;
  readonly requestContext?: {
    readonly resourcePath?: string;
    readonly httpMethod?: string;
    readonly requestId?: string;
    readonly stage?: string;
    readonly apiId?: string;
    readonly accountId?: string;
  } | null;
}

export interface AuthorizerResult {
  readonly principalId: string;
  readonly policyDocument: {
    readonly Version: '2012-10-17';
    readonly Statement: readonly [{
      readonly Action: 'execute-api:Invoke';
      readonly Effect: 'Allow' | 'Deny';
      readonly Resource: string;
    }];
  };
  /** Passed to the integration as `$context.authorizer.<key>`; '' when the token has no such value. */
  readonly context: { readonly sub: string; readonly scope: string; readonly clientId: string };
}

/** Resolves to a policy, or rejects with `Error('Unauthorized')`; never rejects with anything else. */
export type AuthorizerHandler = (event: unknown) => Promise<AuthorizerResult>;

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

export interface AuthorizerConfig {
  /** The exact expected `iss` claim, an https URL. */
  readonly issuer: string;
  /** A token is accepted when its `aud` contains one of these or, without `aud`, its `client_id` is one of these. */
  readonly audience: readonly string[];
  /** The JWKS URL (https). Without it, `jwks_uri` of the issuer's OIDC discovery document is used. */
  readonly jwksUri?: string;
  /** `"<METHOD> <resource path>"` → scopes, any one of which the token must carry ([] = any valid token). */
  readonly routes: { readonly [route: string]: readonly string[] };
  /**
   * Longest lifetime accepted, in whole seconds (1 to a year): `exp - iat`, or `exp` minus the
   * current time for a token without `iat`. Default {@link DEFAULT_MAX_TOKEN_LIFETIME_SECONDS} (24 hours).
   */
  readonly maxTokenLifetimeSeconds?: number;
  /**
   * How long fetched signing keys are used before the JWKS is fetched again, in whole seconds (1 to
   * a year). When that fetch fails, the keys keep verifying for as long again at most, then every
   * token is refused until a fetch succeeds. Default {@link DEFAULT_JWKS_CACHE_TTL_SECONDS} (10 minutes).
   */
  readonly jwksCacheTtlSeconds?: number;
}

export interface AuthorizerOptions {
  /** Fetches the JWKS and the discovery document (default: {@link HttpsFetcher}). */
  readonly fetcher?: Fetcher;
  /** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds (default 0). */
  readonly graceSeconds?: number;
  /** The clock, in milliseconds since the epoch (default `Date.now`). */
  readonly now?: () => number;
}

/** Invalid configuration; `message` names the variable and the rule, never its value. */
export class ConfigError extends Error {}

type Env = { readonly [name: string]: string | undefined };

/**
 * Reads `JWT_ISSUER`, `JWT_AUDIENCE`, `JWT_JWKS_URI`, `JWT_ROUTES`, `JWT_MAX_LIFETIME_SECONDS` and
 * `JWT_JWKS_CACHE_TTL_SECONDS`; throws ConfigError when invalid.
 */
export function configFromEnv(env: Env): AuthorizerConfig {
  const issuer = required(env, 'JWT_ISSUER');
  const audience = parseJson(required(env, 'JWT_AUDIENCE'), 'JWT_AUDIENCE');
  const routes = parseJson(required(env, 'JWT_ROUTES'), 'JWT_ROUTES');
  const jwksUri = optional(env, 'JWT_JWKS_URI');
  const maxTokenLifetimeSeconds = seconds(optional(env, 'JWT_MAX_LIFETIME_SECONDS'));
  const jwksCacheTtlSeconds = seconds(optional(env, 'JWT_JWKS_CACHE_TTL_SECONDS'));
  const config = {
    issuer,
    audience,
    routes,
    ...(jwksUri === undefined ? {} : { jwksUri }),
    ...(maxTokenLifetimeSeconds === undefined ? {} : { maxTokenLifetimeSeconds }),
    ...(jwksCacheTtlSeconds === undefined ? {} : { jwksCacheTtlSeconds }),
  } as AuthorizerConfig;
  validateConfig(config, ENV_NAMES);
  return config;
}

const ENV_NAMES: ConfigNames = {
  issuer: 'JWT_ISSUER',
  audience: 'JWT_AUDIENCE',
  jwksUri: 'JWT_JWKS_URI',
  routes: 'JWT_ROUTES',
  maxTokenLifetimeSeconds: 'JWT_MAX_LIFETIME_SECONDS',
  jwksCacheTtlSeconds: 'JWT_JWKS_CACHE_TTL_SECONDS',
};

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Decimal digits as a number; anything else as NaN, which validateConfig refuses with the variable's name. */
function seconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return /^[0-9]{1,12}$/.test(text) ? Number(text) : NaN;
}

function required(env: Env, name: string): string {
  const value = env[name];
  if (typeof value !== 'string' || value === '') throw new ConfigError(`${name} is required`);
  return value;
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`${name} is not valid JSON`);
  }
}

const ROUTE_KEY = new RegExp(`^(${ROUTE_METHODS.join('|')}) (/[^\\s]*)$`);

interface CompiledConfig {
  readonly issuer: string;
  readonly audience: ReadonlySet<string>;
  readonly jwksUri?: string;
  readonly routes: ReadonlyMap<string, readonly string[]>;
  readonly maxTokenLifetimeSeconds: number;
  readonly jwksCacheTtlSeconds: number;
}

/** The name of each setting in error messages: the property, or its environment variable. */
type ConfigNames = { readonly [K in keyof Required<AuthorizerConfig>]: string };

const PROPERTY_NAMES: ConfigNames = {
  issuer: 'issuer',
  audience: 'audience',
  jwksUri: 'jwksUri',
  routes: 'routes',
  maxTokenLifetimeSeconds: 'maxTokenLifetimeSeconds',
  jwksCacheTtlSeconds: 'jwksCacheTtlSeconds',
};

/** Checks a configuration (whatever its origin: it may not even be typed) and compiles it for lookups. */
function validateConfig(config: AuthorizerConfig, names: ConfigNames = PROPERTY_NAMES): CompiledConfig {
  if (config === null || typeof config !== 'object') throw new ConfigError('configuration is not an object');
  const { issuer, audience, jwksUri, routes, maxTokenLifetimeSeconds, jwksCacheTtlSeconds } = config as unknown as { [k: string]: unknown };
  if (!isHttpsUrl(issuer)) throw new ConfigError(`${names.issuer} must be an https URL`);
  if (jwksUri !== undefined && !isHttpsUrl(jwksUri)) throw new ConfigError(`${names.jwksUri} must be an https URL`);
  if (!Array.isArray(audience) || audience.length === 0 || !audience.every((a) => typeof a === 'string' && a !== '')) {
    throw new ConfigError(`${names.audience} must be a non-empty array of non-empty strings`);
  }
  if (routes === null || typeof routes !== 'object' || Array.isArray(routes)) {
    throw new ConfigError(`${names.routes} must be an object of "<METHOD> <resource path>" to scopes`);
  }
  const compiled = new Map<string, readonly string[]>();
  for (const [key, scopes] of Object.entries(routes)) {
    if (!ROUTE_KEY.test(key)) throw new ConfigError(`${names.routes} has a key that is not "<METHOD> /<resource path>"`);
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && /^\S+$/.test(s))) {
      throw new ConfigError(`${names.routes} has a value that is not an array of scopes (non-empty strings without spaces)`);
    }
    compiled.set(key, [...scopes]);
  }
  for (const [name, value] of [[names.maxTokenLifetimeSeconds, maxTokenLifetimeSeconds], [names.jwksCacheTtlSeconds, jwksCacheTtlSeconds]] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_SETTING_SECONDS)) {
      throw new ConfigError(`${name} must be a whole number of seconds between 1 and ${MAX_SETTING_SECONDS}`);
    }
  }
  return {
    issuer: issuer as string,
    audience: new Set(audience as string[]),
    routes: compiled,
    ...(jwksUri === undefined ? {} : { jwksUri: jwksUri as string }),
    maxTokenLifetimeSeconds: (maxTokenLifetimeSeconds as number | undefined) ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    jwksCacheTtlSeconds: (jwksCacheTtlSeconds as number | undefined) ?? DEFAULT_JWKS_CACHE_TTL_SECONDS,
  };
}

function isHttpsUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Authorizer
// ---------------------------------------------------------------------------------------------

/** A rejection with its reason code (the only thing about it that is logged). */
class Outcome extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

interface Verifier {
  verify(jwt: string): Promise<JwtPayload>;
  verifySync(jwt: string): JwtPayload;
  /** Caches the keys, and forgets the key objects made from those fetched before (a kid may now name another key). */
  cacheJwks(jwks: Jwks): void;
}

/**
 * The authorizer for a configuration. Never throws: an invalid configuration logs its reason once
 * and yields a handler that rejects every request. The discovery document is fetched on first use
 * and cached for the life of the returned handler; the JWKS on first use, then again when it is
 * `jwksCacheTtlSeconds` old or lacks a token's kid.
 */
export function createAuthorizer(config: AuthorizerConfig, options: AuthorizerOptions = {}): AuthorizerHandler {
  try {
    return authorizer(validateConfig(config), options);
  } catch (err) {
    return rejectAll(err);
  }
}

/** `createAuthorizer(configFromEnv(env), options)`, which never throws either. */
export function authorizerFromEnv(env: Env, options: AuthorizerOptions = {}): AuthorizerHandler {
  try {
    return createAuthorizer(configFromEnv(env), options);
  } catch (err) {
    return rejectAll(err);
  }
}

function rejectAll(err: unknown): AuthorizerHandler {
  log('error', { msg: 'invalid configuration', reason: 'config', detail: err instanceof ConfigError ? err.message : reasonOf(err) });
  return async (event) => {
    log('warn', { msg: 'rejected', reason: 'config', ...safeRequestFields(event) });
    throw new Error('Unauthorized');
  };
}

function authorizer(config: CompiledConfig, options: AuthorizerOptions): AuthorizerHandler {
  const fetcher = options.fetcher ?? new HttpsFetcher();
  const now = options.now ?? Date.now;
  const graceSeconds = options.graceSeconds ?? 0;
  const jwksCache = new ExpiringJwksCache({
    fetcher,
    now,
    ttlMs: config.jwksCacheTtlSeconds * 1000,
    // aws-jwt-verify keeps the key object made from a JWK by issuer and kid for the life of the
    // verifier: handing it each new JWKS clears those, so that a kid the issuer has reused for a
    // new key is not checked against the key it replaced.
    onFetched: (_uri, jwks) => verifier?.cacheJwks(jwks),
    onRefreshFailed: (err) => log('warn', { msg: 'keys not refreshed, cached keys kept', reason: reasonOf(err) }),
  });
  const newVerifier = (jwksUri: string): Verifier => JwtVerifier.create(
    { issuer: config.issuer, audience: null, jwksUri, graceSeconds },
    { jwksCache },
  );

  // With a JWKS URI the verifier exists up front; otherwise it is made after discovery succeeds.
  let verifier: Verifier | undefined = config.jwksUri === undefined ? undefined : newVerifier(config.jwksUri);
  let discovering: Promise<Verifier> | undefined;
  const discover = (): Promise<Verifier> => {
    discovering ??= discoverJwksUri(config.issuer, fetcher).then(
      (jwksUri) => (verifier = newVerifier(jwksUri)),
      (err) => {
        discovering = undefined; // not cached: the next invocation tries again
        throw err;
      },
    );
    return discovering;
  };

  return async (event: unknown): Promise<AuthorizerResult> => {
    try {
      const request = parseEvent(event);
      checkProtectedHeader(protectedHeader(request.token));
      const v = verifier ?? await discover();
      let payload: { readonly [claim: string]: unknown };
      try {
        payload = v.verifySync(request.token); // the cached JWKS, no promise per step
      } catch (err) {
        // Only a JWKS not fetched yet, or without the token's kid, takes the asynchronous way,
        // which fetches it (subject to aws-jwt-verify's penalty box for unknown kids).
        if (!(err instanceof JwksNotAvailableInCacheError || err instanceof KidNotFoundInJwksError)) throw err;
        payload = await v.verify(request.token);
      }
      if (typeof payload.exp !== 'number') throw new Outcome('missing_exp');
      // An ID token (Cognito's token_use: id; aud is then a client id) is never an access token.
      if (payload.token_use !== undefined && payload.token_use !== 'access') throw new Outcome('not_access_token');
      // aws-jwt-verify has checked that iat, when present, is a number; not that it is past.
      const nowSeconds = now() / 1000;
      if (typeof payload.iat === 'number' && payload.iat > nowSeconds + graceSeconds) throw new Outcome('iat_in_future');
      // A long-lived token is a stolen token's long life: bounded whatever the issuer chose.
      const lifetime = payload.exp - (typeof payload.iat === 'number' ? payload.iat : nowSeconds);
      if (lifetime > config.maxTokenLifetimeSeconds) throw new Outcome('lifetime_too_long');
      const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
      if (!audienceMatches(payload.aud, clientId, config.audience)) throw new Outcome('JwtInvalidAudienceError');
      const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
      const principalId = sub ?? clientId;
      if (!principalId) throw new Outcome('missing_principal');

      const scopes = tokenScopes(payload);
      const resource = policyResource(request);
      const context = { sub: sub ?? '', scope: scopes.join(' '), clientId: clientId ?? '' };
      const required = config.routes.get(request.route) ?? config.routes.get(`ANY ${request.resourcePath}`);
      const denial = required === undefined ? 'unknown_route'
        : required.length > 0 && !required.some((s) => scopes.includes(s)) ? 'insufficient_scope'
          : undefined;
      if (denial) log('warn', { msg: 'denied', reason: denial, route: request.route, requestId: request.requestId, sub });
      return {
        principalId,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: denial ? 'Deny' : 'Allow', Resource: resource }],
        },
        context,
      };
    } catch (err) {
      log('warn', { msg: 'rejected', reason: reasonOf(err), ...safeRequestFields(event) });
      throw new Error('Unauthorized');
    }
  };
}

/**
 * `typ` values of a JWT (RFC 7519, section 5.1) or a JWT access token (RFC 9068, section 2.1), as
 * media types: RFC 7515 (section 4.1.9) has a `typ` without "/" read with "application/" before it,
 * and media types compare case-insensitively. Other JWTs (`dpop+jwt`, `logout+jwt`, `secevent+jwt`,
 * `JOSE`...) are signed by the same keys for other uses and must not pass as access tokens
 * (RFC 8725, section 3.11).
 */
const ACCEPTED_TYP = new Set(['application/jwt', 'application/at+jwt']);

/**
 * Refuses what RFC 7515 and RFC 9068 say to refuse in the protected header, before any key is
 * fetched. aws-jwt-verify 5.2.1 reads neither `crit` nor `typ`: its header check
 * (`decomposeUnverifiedJwt`, dist/cjs/jwt.js) looks at the types of `alg` and `kid` only, and no
 * other code of the package names `crit` or `typ`, so without this a token with either verifies.
 */
function checkProtectedHeader(header: { readonly [name: string]: unknown }): void {
  // RFC 7515, section 4.1.11: a JWS whose crit lists an extension the recipient does not
  // understand is invalid. This authorizer understands none, and a crit that is not a non-empty
  // array of extension names is itself invalid: a crit header of any value is refused.
  if (Object.prototype.hasOwnProperty.call(header, 'crit')) throw new Outcome('crit_unsupported');
  if (Object.prototype.hasOwnProperty.call(header, 'typ')) {
    const typ = header.typ;
    if (typeof typ !== 'string') throw new Outcome('typ_unsupported');
    const media = typ.toLowerCase();
    if (!ACCEPTED_TYP.has(media.includes('/') ? media : `application/${media}`)) throw new Outcome('typ_unsupported');
  }
}

interface ParsedRequest {
  readonly token: string;
  readonly method: string;
  readonly resourcePath: string;
  /** `<METHOD> <resource path>` */
  readonly route: string;
  /** `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/` */
  readonly arnPrefix: string;
  readonly requestId?: string;
}

const METHOD_ARN_PREFIX = /^(arn:[^:/\s]+:execute-api:[^:/\s]+:[^:/\s]+:[^:/\s]+\/[^/\s]+\/)/;

/** The route, policy ARN prefix and bearer token of an event, or an Outcome saying what is wrong. */
function parseEvent(event: unknown): ParsedRequest {
  if (event === null || typeof event !== 'object') throw new Outcome('malformed_event');
  const e = event as RequestAuthorizerEvent;
  const ctx = e.requestContext !== null && typeof e.requestContext === 'object' ? e.requestContext : undefined;
  const method = str(ctx?.httpMethod) ?? str(e.httpMethod);
  const resourcePath = str(ctx?.resourcePath) ?? str(e.resource);
  if (method === undefined || !/^[A-Z]+$/.test(method) || resourcePath === undefined || !resourcePath.startsWith('/')) {
    throw new Outcome('malformed_event');
  }
  const prefix = typeof e.methodArn === 'string' ? METHOD_ARN_PREFIX.exec(e.methodArn) : null;
  if (!prefix) throw new Outcome('malformed_event');
  return {
    token: bearerToken(e),
    method,
    resourcePath,
    route: `${method} ${resourcePath}`,
    arnPrefix: prefix[1],
    requestId: str(ctx?.requestId),
  };
}

function bearerToken(e: RequestAuthorizerEvent): string {
  const headers = e.headers;
  if (headers === null || typeof headers !== 'object') throw new Outcome('missing_header');
  let value: unknown;
  let found = 0;
  for (const name of Object.keys(headers)) {
    if (name.length === 13 && name.toLowerCase() === 'authorization') {
      value = headers[name];
      found++;
    }
  }
  if (found === 0 || value === undefined || value === null || value === '') throw new Outcome('missing_header');
  if (typeof value !== 'string' || found > 1) throw new Outcome('malformed_header');
  if (value.length > MAX_AUTHORIZATION_HEADER_LENGTH) throw new Outcome('oversized_header');
  // A repeated Authorization header shows up as several values here: ambiguous, so rejected.
  const multi = e.multiValueHeaders;
  if (multi !== null && typeof multi === 'object') {
    for (const name of Object.keys(multi)) {
      const values = multi[name];
      if (name.length === 13 && name.toLowerCase() === 'authorization' && Array.isArray(values) && values.length > 1) {
        throw new Outcome('malformed_header');
      }
    }
  }
  if (value.length < 8 || value.charCodeAt(6) !== 32 || value.slice(0, 6).toLowerCase() !== 'bearer') {
    throw new Outcome('malformed_header');
  }
  // One token of three non-empty dot-separated parts (aws-jwt-verify then checks its characters).
  const token = value.slice(7);
  const dot1 = token.indexOf('.');
  const dot2 = token.indexOf('.', dot1 + 1);
  if (dot1 < 1 || dot2 < dot1 + 2 || dot2 === token.length - 1 || token.indexOf('.', dot2 + 1) !== -1 || token.indexOf(' ') !== -1) {
    throw new Outcome('malformed_header');
  }
  if (!isCanonicalBase64Url(token, 0, dot1) || !isCanonicalBase64Url(token, dot1 + 1, dot2) || !isCanonicalBase64Url(token, dot2 + 1, token.length)) {
    throw new Outcome('non_canonical_token');
  }
  return token;
}

/**
 * The protected header, decoded from the token's first segment alone (parseEvent has checked the
 * token is three canonical base64url segments): aws-jwt-verify decodes the whole token again
 * when it verifies, so decoding the payload here too would cost each request a second parse.
 */
function protectedHeader(token: string): { readonly [name: string]: unknown } {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
  } catch {
    throw new Outcome('JwtParseError');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new Outcome('JwtParseError');
  return header as { readonly [name: string]: unknown };
}

/** Each character code's value in the base64url alphabet, -1 outside it. */
const BASE64URL = (() => {
  const values = new Int8Array(128).fill(-1);
  [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].forEach((c, i) => (values[c.charCodeAt(0)] = i));
  return values;
})();

/**
 * `s[start, end)` is base64url as RFC 7515 (section 2) writes it: the URL-safe alphabet, no
 * padding, and no length or trailing bits another spelling of the same bytes could differ in
 * (RFC 4648, section 3.5: the unused bits of the last character are zero).
 */
function isCanonicalBase64Url(s: string, start: number, end: number): boolean {
  const length = end - start;
  if (length % 4 === 1) return false;
  let last = 0;
  for (let i = start; i < end; i++) {
    const code = s.charCodeAt(i);
    last = code < 128 ? BASE64URL[code] : -1;
    if (last < 0) return false;
  }
  if (length % 4 === 2) return (last & 0x0f) === 0;
  if (length % 4 === 3) return (last & 0x03) === 0;
  return true;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `aud` (string or array) contains a configured audience or, when there is no `aud`, `client_id` is one. */
function audienceMatches(aud: unknown, clientId: string | undefined, audience: ReadonlySet<string>): boolean {
  if (aud === undefined) return clientId !== undefined && audience.has(clientId);
  if (typeof aud === 'string') return audience.has(aud);
  return Array.isArray(aud) && aud.some((a) => typeof a === 'string' && audience.has(a));
}

/** Scopes of `scope` (space-separated) and `scp` (array, or space-separated string), without duplicates. */
function tokenScopes(payload: { readonly [claim: string]: unknown }): string[] {
  const scopes: string[] = [];
  addScopes(scopes, payload.scope);
  addScopes(scopes, payload.scp);
  return scopes;
}

function addScopes(scopes: string[], claim: unknown): void {
  if (typeof claim === 'string') {
    for (const s of claim.split(' ')) if (s !== '' && !scopes.includes(s)) scopes.push(s);
  } else if (Array.isArray(claim)) {
    for (const s of claim) if (typeof s === 'string' && s !== '' && !/\s/.test(s) && !scopes.includes(s)) scopes.push(s);
  }
}

/** Resource path → the same with every `{param}` / `{param+}` as `*`; an API has few resources. */
const POLICY_PATHS = new Map<string, string>();

/** `<arn prefix><METHOD><resource path>` with every `{param}` / `{param+}` segment as `*` (root: `<METHOD>/`). */
function policyResource(request: ParsedRequest): string {
  let path = POLICY_PATHS.get(request.resourcePath);
  if (path === undefined) {
    path = request.resourcePath.replace(/\{[^/{}]+\}/g, '*');
    if (POLICY_PATHS.size >= 1000) POLICY_PATHS.clear();
    POLICY_PATHS.set(request.resourcePath, path);
  }
  return request.arnPrefix + request.method + path;
}

// ---------------------------------------------------------------------------------------------
// OIDC discovery
// ---------------------------------------------------------------------------------------------

/** `jwks_uri` of `<issuer>/.well-known/openid-configuration`, which must name the same issuer. */
async function discoverJwksUri(issuer: string, fetcher: Fetcher): Promise<string> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let doc: unknown;
  try {
    const body = await fetcher.fetch(url);
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new Outcome('discovery_failed');
  }
  if (doc === null || typeof doc !== 'object') throw new Outcome('discovery_invalid');
  const { issuer: docIssuer, jwks_uri: jwksUri } = doc as { [k: string]: unknown };
  // OpenID Connect Discovery 1.0, section 4.3: the document's issuer must be identical.
  if (docIssuer !== issuer || !isHttpsUrl(jwksUri)) throw new Outcome('discovery_invalid');
  return jwksUri;
}

// ---------------------------------------------------------------------------------------------
// Logging
// ---------------------------------------------------------------------------------------------

/** aws-jwt-verify's errors by class (most specific first): class names do not survive minification. */
const ERROR_REASONS: ReadonlyArray<readonly [abstract new (...args: never[]) => Error, string]> = [
  [JwtExpiredError, 'JwtExpiredError'],
  [JwtNotBeforeError, 'JwtNotBeforeError'],
  [JwtInvalidIssuerError, 'JwtInvalidIssuerError'],
  [JwtInvalidAudienceError, 'JwtInvalidAudienceError'],
  [JwtInvalidScopeError, 'JwtInvalidScopeError'],
  [JwtInvalidClaimError, 'JwtInvalidClaimError'],
  [JwtInvalidSignatureAlgorithmError, 'JwtInvalidSignatureAlgorithmError'],
  [JwtInvalidSignatureError, 'JwtInvalidSignatureError'],
  [JwtParseError, 'JwtParseError'],
  [JwtWithoutValidKidError, 'JwtWithoutValidKidError'],
  [KidNotFoundInJwksError, 'KidNotFoundInJwksError'],
  [WaitPeriodNotYetEndedJwkError, 'WaitPeriodNotYetEndedJwkError'],
  [JwksValidationError, 'JwksValidationError'],
  [JwkInvalidUseError, 'JwkInvalidUseError'],
  [JwkInvalidKtyError, 'JwkInvalidKtyError'],
  [JwkValidationError, 'JwkValidationError'],
  [NonRetryableFetchError, 'NonRetryableFetchError'],
  [FetchError, 'FetchError'],
  [ParameterValidationError, 'ParameterValidationError'],
  [JwtBaseError, 'JwtBaseError'],
];

/** A reason code for an error. Never its message: those can quote the token's header (e.g. its kid). */
function reasonOf(err: unknown): string {
  if (err instanceof Outcome) return err.reason;
  for (const [type, reason] of ERROR_REASONS) if (err instanceof type) return reason;
  return 'internal_error';
}

/** Fields of an unvalidated event that are safe to log (and only strings). */
function safeRequestFields(event: unknown): { route?: string; requestId?: string } {
  try {
    if (event === null || typeof event !== 'object') return {};
    const e = event as RequestAuthorizerEvent;
    const ctx = e.requestContext !== null && typeof e.requestContext === 'object' ? e.requestContext : undefined;
    const method = str(ctx?.httpMethod) ?? str(e.httpMethod);
    const resource = str(ctx?.resourcePath) ?? str(e.resource);
    return {
      route: method && resource ? `${method} ${resource}` : undefined,
      requestId: str(ctx?.requestId),
    };
  } catch {
    return {};
  }
}

function log(level: 'warn' | 'error', fields: { [k: string]: string | undefined }): void {
  try {
    const line = JSON.stringify({ level, ...fields }, (_k, v) => (typeof v === 'string' && v.length > 256 ? v.slice(0, 256) : v));
    if (level === 'error') console.error(line);
    else console.warn(line);
  } catch {
    // logging must never turn a rejection into another error
  }
}
