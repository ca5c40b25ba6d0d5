import * as crypto from 'crypto';
import {
  AuthorizerConfig,
  AuthorizerHandler,
  AuthorizerResult,
  createAuthorizer,
  MAX_AUTHORIZATION_HEADER_LENGTH,
} from '../../lambda/jwt-authorizer/authorizer';
import {
  b64url, closedPort, forgeJwt, ISSUED_TOKENS, nowSeconds, requestEvent, signJwt, SigningKey, STAGE_ARN, TestIdp, testFetcher,
} from './fixtures/idp';

// ------------------------------------------------------------------------------------------
// Console capture for the whole file: every line any authorizer writes ends up in LINES.
// ------------------------------------------------------------------------------------------
const LINES: string[] = [];
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
beforeAll(() => {
  for (const m of CONSOLE_METHODS) {
    jest.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      LINES.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
  }
});
afterAll(() => jest.restoreAllMocks());

// ------------------------------------------------------------------------------------------
// The identity provider, keys and the configuration under test
// ------------------------------------------------------------------------------------------
const idp = new TestIdp();
const k1 = new SigningKey('k1');
const k2 = new SigningKey('k2');
const noAlgKey = new SigningKey('k-no-alg');
const attacker = new SigningKey('k1');
let ISSUER: string;

const ROUTES = {
  'GET /orders/{id}': ['orders/read', 'orders/admin'],
  'POST /orders': ['orders/write'],
  'ANY /orders': ['orders/admin'],
  'ANY /files/{proxy+}': [],
  'GET /': [],
  'GET /users/{userId}/orders/{orderId}': ['orders/read'],
};

beforeAll(async () => {
  await idp.start();
  ISSUER = idp.url('/issuer');
  idp.serveJwks('/jwks.json', [k1]);
  idp.serve('/jwks-with-no-alg-key.json', { keys: [k1.jwk(), noAlgKey.jwk(false)] });
});
afterAll(() => idp.close());

function config(overrides: Partial<AuthorizerConfig> = {}): AuthorizerConfig {
  return { issuer: ISSUER, audience: ['api://orders', 'app-1'], jwksUri: idp.url('/jwks.json'), routes: ROUTES, ...overrides };
}

function authorizer(overrides: Partial<AuthorizerConfig> = {}): AuthorizerHandler {
  return createAuthorizer(config(overrides), { fetcher: testFetcher() });
}

function claims(overrides: { [claim: string]: unknown } = {}): { [claim: string]: unknown } {
  const now = nowSeconds();
  const c: { [claim: string]: unknown } = {
    iss: ISSUER, aud: 'api://orders', sub: 'user-1', client_id: 'app-1', scope: 'orders/read profile', iat: now, exp: now + 600,
    ...overrides,
  };
  for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
  return c;
}

const token = (overrides: { [claim: string]: unknown } = {}, key = k1): string => signJwt(key, claims(overrides));
const bearer = (jwt: string): string => `Bearer ${jwt}`;

/** A test clock (ms) a few seconds ahead of the real one, so that tokens signed later have no iat in its future. */
const aheadOfTokens = (): number => Date.now() + 5_000;

// ------------------------------------------------------------------------------------------
// Invocation helpers: every invocation writes at most one line, and rejects only with
// Error('Unauthorized').
// ------------------------------------------------------------------------------------------
interface Invocation {
  readonly result?: AuthorizerResult;
  readonly error?: unknown;
  readonly lines: readonly string[];
}

async function invoke(auth: AuthorizerHandler, event: unknown): Promise<Invocation> {
  const before = LINES.length;
  let invocation: Invocation;
  try {
    invocation = { result: await auth(event), lines: [] };
  } catch (error) {
    invocation = { error, lines: [] };
  }
  const lines = LINES.slice(before);
  expect(lines.length).toBeLessThanOrEqual(1);
  return { ...invocation, lines };
}

function logged(lines: readonly string[]): { [k: string]: unknown } {
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}

/** The invocation rejects with exactly Error('Unauthorized') and logs `reason`. */
async function expectUnauthorized(auth: AuthorizerHandler, event: unknown, reason: string): Promise<void> {
  const { result, error, lines } = await invoke(auth, event);
  expect(result).toBeUndefined();
  expect(error).toBeInstanceOf(Error);
  expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
  expect((error as Error).message).toBe('Unauthorized');
  expect(logged(lines)).toMatchObject({ level: 'warn', msg: 'rejected', reason });
}

async function expectPolicy(
  auth: AuthorizerHandler, event: unknown, effect: 'Allow' | 'Deny', resource: string,
): Promise<{ result: AuthorizerResult; lines: readonly string[] }> {
  const { result, error, lines } = await invoke(auth, event);
  expect(error).toBeUndefined();
  expect(result!.policyDocument).toEqual({
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
  });
  return { result: result!, lines };
}

/** Allowed, and nothing logged. */
async function allow(auth: AuthorizerHandler, event: unknown, resource: string): Promise<AuthorizerResult> {
  const { result, lines } = await expectPolicy(auth, event, 'Allow', resource);
  expect(lines).toEqual([]);
  return result;
}

/** Denied, with the one log line parsed. */
async function deny(auth: AuthorizerHandler, event: unknown, resource: string): Promise<{ result: AuthorizerResult; log: unknown }> {
  const { result, lines } = await expectPolicy(auth, event, 'Deny', resource);
  return { result, log: logged(lines) };
}

// ------------------------------------------------------------------------------------------
describe('allowed requests', () => {
  test('a valid token is allowed on its route, for the method and resource with path parameters as *', async () => {
    const auth = authorizer();
    const jwt = token();
    const result = await allow(auth, requestEvent({ authorization: bearer(jwt), path: '/orders/42' }), `${STAGE_ARN}GET/orders/*`);
    expect(result).toEqual({
      principalId: 'user-1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${STAGE_ARN}GET/orders/*` }],
      },
      context: { sub: 'user-1', scope: 'orders/read profile', clientId: 'app-1' },
    });
    // The same policy for another order: API Gateway may cache it for the whole resource.
    await allow(auth, requestEvent({ authorization: bearer(jwt), path: '/orders/43' }), `${STAGE_ARN}GET/orders/*`);
  });

  test('several path parameters, a greedy {proxy+} and the root resource', async () => {
    const auth = authorizer();
    const jwt = bearer(token());
    await allow(auth, requestEvent({ authorization: jwt, resource: '/users/{userId}/orders/{orderId}', path: '/users/u1/orders/o2' }),
      `${STAGE_ARN}GET/users/*/orders/*`);
    await allow(auth, requestEvent({ authorization: jwt, resource: '/files/{proxy+}', path: '/files/a/b/c.txt' }),
      `${STAGE_ARN}GET/files/*`);
    await allow(auth, requestEvent({ authorization: jwt, resource: '/', path: '/' }), `${STAGE_ARN}GET/`);
  });

  test('a method without a route of its own falls back to the ANY route of its resource', async () => {
    const auth = authorizer();
    const admin = bearer(token({ scope: 'orders/admin' }));
    await allow(auth, requestEvent({ authorization: admin, method: 'PUT', resource: '/orders' }), `${STAGE_ARN}PUT/orders`);
    await allow(auth, requestEvent({ authorization: admin, method: 'DELETE', resource: '/files/{proxy+}', path: '/files/x' }),
      `${STAGE_ARN}DELETE/files/*`);
    // POST has its own route, which wins over ANY: orders/admin is not orders/write.
    const { log } = await deny(auth, requestEvent({ authorization: admin, method: 'POST', resource: '/orders' }), `${STAGE_ARN}POST/orders`);
    expect(log).toMatchObject({ reason: 'insufficient_scope', route: 'POST /orders' });
  });

  test('scopes from scp, as an array or a space-separated string', async () => {
    const auth = authorizer();
    const fromArray = await allow(auth, requestEvent({ authorization: bearer(token({ scope: undefined, scp: ['profile', 'orders/read'] })) }),
      `${STAGE_ARN}GET/orders/*`);
    expect(fromArray.context.scope).toBe('profile orders/read');
    const fromString = await allow(auth, requestEvent({ authorization: bearer(token({ scope: undefined, scp: 'orders/admin email' })) }),
      `${STAGE_ARN}GET/orders/*`);
    expect(fromString.context.scope).toBe('orders/admin email');
  });

  test('a token without aud is accepted when its client_id is an audience; principal is client_id without sub', async () => {
    const auth = authorizer();
    const result = await allow(auth, requestEvent({ authorization: bearer(token({ aud: undefined, sub: undefined, client_id: 'app-1' })) }),
      `${STAGE_ARN}GET/orders/*`);
    expect(result.principalId).toBe('app-1');
    expect(result.context).toEqual({ sub: '', scope: 'orders/read profile', clientId: 'app-1' });
  });

  test('aud as an array with one configured audience', async () => {
    await allow(authorizer(), requestEvent({ authorization: bearer(token({ aud: ['other', 'api://orders'] })) }), `${STAGE_ARN}GET/orders/*`);
  });

  test('header name and Bearer scheme are case-insensitive', async () => {
    const auth = authorizer();
    const jwt = token();
    await allow(auth, requestEvent({ headers: { authorization: `bearer ${jwt}` } }), `${STAGE_ARN}GET/orders/*`);
    await allow(auth, requestEvent({ headers: { AUTHORIZATION: `BEARER ${jwt}` } }), `${STAGE_ARN}GET/orders/*`);
  });

  test('method and resource from the top of the event when requestContext lacks them', async () => {
    const event = { ...requestEvent({ authorization: bearer(token()) }), requestContext: null };
    await allow(authorizer(), event, `${STAGE_ARN}GET/orders/*`);
  });

  test('the JWKS is fetched once for many tokens, and once for concurrent first requests', async () => {
    idp.serveJwks('/jwks-once.json', [k1]);
    const auth = authorizer({ jwksUri: idp.url('/jwks-once.json') });
    await Promise.all([1, 2, 3].map((i) => allow(auth, requestEvent({ authorization: bearer(token({ sub: `u${i}` })) }), `${STAGE_ARN}GET/orders/*`)));
    for (let i = 0; i < 5; i++) await allow(auth, requestEvent({ authorization: bearer(token({ jti: `t${i}` })) }), `${STAGE_ARN}GET/orders/*`);
    expect(idp.hitCount('/jwks-once.json')).toBe(1);
  });
});

// ------------------------------------------------------------------------------------------
describe('denied requests (valid token): 403', () => {
  test('insufficient scope', async () => {
    const { result, log } = await deny(authorizer(), requestEvent({ authorization: bearer(token({ scope: 'profile orders/write' })) }),
      `${STAGE_ARN}GET/orders/*`);
    expect(result.principalId).toBe('user-1');
    expect(result.context).toEqual({ sub: 'user-1', scope: 'profile orders/write', clientId: 'app-1' });
    expect(log).toEqual({
      level: 'warn', msg: 'denied', reason: 'insufficient_scope', route: 'GET /orders/{id}', requestId: 'req-1', sub: 'user-1',
    });
  });

  test('no scope claim at all, on a route that requires scopes', async () => {
    const auth = authorizer();
    const authorization = bearer(token({ scope: undefined }));
    const { result, log } = await deny(auth, requestEvent({ authorization }), `${STAGE_ARN}GET/orders/*`);
    expect(result.context.scope).toBe('');
    expect(log).toMatchObject({ reason: 'insufficient_scope' });
    // ... but it is allowed where any valid token is.
    await allow(auth, requestEvent({ authorization, resource: '/', path: '/' }), `${STAGE_ARN}GET/`);
  });

  test('a route that is not configured', async () => {
    const auth = authorizer();
    const admin = bearer(token({ scope: 'orders/admin' }));
    const { log } = await deny(auth, requestEvent({ authorization: admin, method: 'DELETE', resource: '/orders/{id}' }),
      `${STAGE_ARN}DELETE/orders/*`);
    expect(log).toEqual({
      level: 'warn', msg: 'denied', reason: 'unknown_route', route: 'DELETE /orders/{id}', requestId: 'req-1', sub: 'user-1',
    });
    await deny(auth, requestEvent({ authorization: admin, resource: '/nowhere' }), `${STAGE_ARN}GET/nowhere`);
    await deny(auth, requestEvent({ authorization: admin, resource: '/files' }), `${STAGE_ARN}GET/files`);
  });
});

// ------------------------------------------------------------------------------------------
describe('rejected tokens: 401', () => {
  const event = (jwt: string) => requestEvent({ authorization: bearer(jwt) });

  test('a signature by another key with the same kid', async () => {
    await expectUnauthorized(authorizer(), event(token({}, attacker)), 'JwtInvalidSignatureError');
  });

  test('a payload changed after signing', async () => {
    const [h, , s] = token().split('.');
    const tampered = `${h}.${b64url(JSON.stringify(claims({ scope: 'orders/admin' })))}.${s}`;
    ISSUED_TOKENS.push(tampered);
    await expectUnauthorized(authorizer(), event(tampered), 'JwtInvalidSignatureError');
  });

  test('alg none, with and without a signature', async () => {
    const auth = authorizer();
    const unsigned = forgeJwt({ alg: 'none', typ: 'JWT', kid: 'k1' }, claims(), () => '');
    await expectUnauthorized(auth, event(unsigned), 'malformed_header');
    const junkSignature = forgeJwt({ alg: 'none', typ: 'JWT', kid: 'k1' }, claims(), () => 'c2lnbmF0dXJl');
    await expectUnauthorized(auth, event(junkSignature), 'JwtInvalidSignatureAlgorithmError');
  });

  test('HS256 with the RSA public key PEM as HMAC secret (JWK with and without alg)', async () => {
    const auth = authorizer({ jwksUri: idp.url('/jwks-with-no-alg-key.json') });
    for (const key of [k1, noAlgKey]) {
      const pem = key.publicPem();
      const forged = forgeJwt({ alg: 'HS256', typ: 'JWT', kid: key.kid }, claims(),
        (input) => crypto.createHmac('sha256', pem).update(input).digest('base64url'));
      await expectUnauthorized(auth, event(forged), 'JwtInvalidSignatureAlgorithmError');
    }
    // The key without alg does verify a genuine RS256 token.
    await allow(auth, event(token({}, noAlgKey)), `${STAGE_ARN}GET/orders/*`);
  });

  test('an unknown kid refetches the JWKS once, then waits in the penalty box', async () => {
    idp.serveJwks('/jwks-kid.json', [k1]);
    const auth = authorizer({ jwksUri: idp.url('/jwks-kid.json') });
    await allow(auth, event(token()), `${STAGE_ARN}GET/orders/*`);
    expect(idp.hitCount('/jwks-kid.json')).toBe(1);
    await expectUnauthorized(auth, event(signJwt(attacker, claims(), { alg: 'RS256', kid: 'unknown' })), 'KidNotFoundInJwksError');
    expect(idp.hitCount('/jwks-kid.json')).toBe(2);
    await expectUnauthorized(auth, event(signJwt(attacker, claims(), { alg: 'RS256', kid: 'other' })), 'WaitPeriodNotYetEndedJwkError');
    expect(idp.hitCount('/jwks-kid.json')).toBe(2);
    await expectUnauthorized(auth, event(signJwt(attacker, claims(), { alg: 'RS256' })), 'JwtWithoutValidKidError');
  });

  test('wrong issuer (exact match: no trailing slash, no other issuer)', async () => {
    const auth = authorizer();
    await expectUnauthorized(auth, event(token({ iss: 'https://evil.example.com' })), 'JwtInvalidIssuerError');
    await expectUnauthorized(auth, event(token({ iss: `${ISSUER}/` })), 'JwtInvalidIssuerError');
    await expectUnauthorized(auth, event(token({ iss: undefined })), 'JwtInvalidIssuerError');
  });

  test('wrong audience, also when client_id matches but aud does not', async () => {
    const auth = authorizer();
    await expectUnauthorized(auth, event(token({ aud: 'api://payments' })), 'JwtInvalidAudienceError');
    await expectUnauthorized(auth, event(token({ aud: ['api://payments', 'x'] })), 'JwtInvalidAudienceError');
    await expectUnauthorized(auth, event(token({ aud: [], client_id: 'app-1' })), 'JwtInvalidAudienceError');
    await expectUnauthorized(auth, event(token({ aud: undefined, client_id: 'app-2' })), 'JwtInvalidAudienceError');
    await expectUnauthorized(auth, event(token({ aud: undefined, client_id: undefined })), 'JwtInvalidAudienceError');
  });

  test('expired', async () => {
    await expectUnauthorized(authorizer(), event(token({ exp: nowSeconds() - 5 })), 'JwtExpiredError');
  });

  test('not valid yet (nbf in the future)', async () => {
    await expectUnauthorized(authorizer(), event(token({ nbf: nowSeconds() + 60 })), 'JwtNotBeforeError');
  });

  test('an ID token is never an access token: token_use other than access is refused, on unscoped routes too', async () => {
    const auth = authorizer();
    const files = (jwt: string) => requestEvent({ authorization: bearer(jwt), resource: '/files/{proxy+}', path: '/files/a' });
    // A Cognito ID token: aud is the app client's id, which is also a configured audience here.
    const idToken = token({ token_use: 'id', aud: 'app-1', client_id: undefined, scope: undefined });
    await expectUnauthorized(auth, files(idToken), 'not_access_token');
    await expectUnauthorized(auth, files(token({ token_use: 'refresh' })), 'not_access_token');
    await expectUnauthorized(auth, files(token({ token_use: ['access'] })), 'not_access_token');
    await allow(auth, files(token({ token_use: 'access' })), `${STAGE_ARN}GET/files/*`);
  });

  test('iat in the future beyond the allowed skew (or not a number)', async () => {
    const now = nowSeconds();
    await expectUnauthorized(authorizer(), event(token({ iat: now + 60 })), 'iat_in_future');
    await expectUnauthorized(authorizer(), event(token({ iat: String(now) })), 'JwtParseError'); // aws-jwt-verify's own check
    const lenient = createAuthorizer(config(), { fetcher: testFetcher(), graceSeconds: 120 });
    await allow(lenient, event(token({ iat: now + 60 })), `${STAGE_ARN}GET/orders/*`);
    await expectUnauthorized(lenient, event(token({ iat: now + 600 })), 'iat_in_future');
    // With the clock given: the same token is fine a minute later.
    const later = createAuthorizer(config(), { fetcher: testFetcher(), now: () => (now + 61) * 1000 });
    await allow(later, event(token({ iat: now + 60 })), `${STAGE_ARN}GET/orders/*`);
  });

  test('a crit header is refused whatever it lists, well-formed or not: no extension is understood (RFC 7515, 4.1.11)', async () => {
    idp.serveJwks('/jwks-crit.json', [k1]);
    const auth = authorizer({ jwksUri: idp.url('/jwks-crit.json') });
    const header = { alg: 'RS256', typ: 'JWT', kid: 'k1' };
    const crits: object[] = [
      { crit: ['https://example.com/policy'], 'https://example.com/policy': 'strict' }, // an extension, present
      { crit: ['b64'], b64: false }, // RFC 7797: the payload is not base64url-encoded in the signing input
      { crit: ['exp'], exp: nowSeconds() + 60 }, // a header parameter the authorizer never reads
      { crit: ['https://example.com/absent'] }, // listed, not present
      { crit: ['alg'] }, // a registered name, which crit must not list
      { crit: [] }, // empty, which crit must not be
      { crit: 'b64', b64: false }, // not an array
      { crit: [42] },
      { crit: null },
    ];
    for (const extra of crits) {
      await expectUnauthorized(auth, event(signJwt(k1, claims(), { ...header, ...extra })), 'crit_unsupported');
    }
    expect(idp.hitCount('/jwks-crit.json')).toBe(0); // refused before any key is fetched
    await allow(auth, event(signJwt(k1, claims(), header)), `${STAGE_ARN}GET/orders/*`);
  });

  test('typ, when present, names a JWT or a JWT access token (RFC 7519 5.1, RFC 9068 2.1), in any case; other types are refused', async () => {
    const auth = authorizer();
    const typed = (typ: unknown) => signJwt(k1, claims(), { alg: 'RS256', typ, kid: 'k1' });
    for (const typ of ['JWT', 'jwt', 'at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+JWT', 'application/jwt']) {
      await allow(auth, event(typed(typ)), `${STAGE_ARN}GET/orders/*`);
    }
    await allow(auth, event(signJwt(k1, claims(), { alg: 'RS256', kid: 'k1' })), `${STAGE_ARN}GET/orders/*`); // no typ
    const refused: unknown[] = [
      'JOSE', 'JOSE+JSON', 'id_token+jwt', 'dpop+jwt', 'application/dpop+jwt', 'logout+jwt', 'secevent+jwt',
      'text/jwt', 'at+jwt ', 'jwt+at', '', null, 42, ['JWT'],
    ];
    for (const typ of refused) await expectUnauthorized(auth, event(typed(typ)), 'typ_unsupported');
  });

  test('a lifetime over 24 hours is refused: exp - iat, or exp - now for a token without iat', async () => {
    const now = nowSeconds();
    const day = 86_400;
    const auth = createAuthorizer(config(), { fetcher: testFetcher(), now: () => now * 1000 });
    await allow(auth, event(token({ iat: now, exp: now + day })), `${STAGE_ARN}GET/orders/*`);
    await expectUnauthorized(auth, event(token({ iat: now, exp: now + day + 1 })), 'lifetime_too_long');
    // Issued two days ago and valid ten more minutes: its lifetime is two days and ten minutes.
    await expectUnauthorized(auth, event(token({ iat: now - 2 * day, exp: now + 600 })), 'lifetime_too_long');
    await allow(auth, event(token({ iat: undefined, exp: now + day })), `${STAGE_ARN}GET/orders/*`);
    await expectUnauthorized(auth, event(token({ iat: undefined, exp: now + day + 1 })), 'lifetime_too_long');
    await expectUnauthorized(auth, event(token({ iat: undefined, exp: now + 3650 * day })), 'lifetime_too_long');
  });

  test('maxTokenLifetimeSeconds sets another limit', async () => {
    const now = nowSeconds();
    const auth = createAuthorizer(config({ maxTokenLifetimeSeconds: 3600 }), { fetcher: testFetcher(), now: () => now * 1000 });
    await allow(auth, event(token({ iat: now, exp: now + 3600 })), `${STAGE_ARN}GET/orders/*`);
    await expectUnauthorized(auth, event(token({ iat: now, exp: now + 3601 })), 'lifetime_too_long');
    await expectUnauthorized(auth, event(token({ iat: undefined, exp: now + 3601 })), 'lifetime_too_long');
  });

  test('segments that are not canonical base64url: padding, set unused bits, other alphabets', async () => {
    const auth = authorizer();
    const jwt = token();
    await allow(auth, event(jwt), `${STAGE_ARN}GET/orders/*`);
    const [h, p, sig] = jwt.split('.');
    // An RS256 signature is 256 bytes: 342 characters, whose last carries 4 unused bits.
    expect(sig.length % 4).toBe(2);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const lastBitSet = sig.slice(0, -1) + alphabet[alphabet.indexOf(sig[sig.length - 1]) | 1];
    // A lenient decoder reads both spellings as the same signature.
    expect(Buffer.from(lastBitSet, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
    const spellings = [
      `${h}.${p}.${lastBitSet}`,
      `${h}.${p}.${sig}==`,
      `${h}=.${p}.${sig}`,
      `${h}.${p}.${sig.replace(/-/g, '+').replace(/_/g, '/')}`,
      `${h}.${p}.${sig}AAA`, // a length no base64 has (4n + 1)
    ].filter((t) => t !== jwt);
    for (const t of spellings) {
      ISSUED_TOKENS.push(t);
      await expectUnauthorized(auth, event(t), 'non_canonical_token');
    }
  });

  test('no exp claim, or no sub and no client_id', async () => {
    await expectUnauthorized(authorizer(), event(token({ exp: undefined })), 'missing_exp');
    await expectUnauthorized(authorizer(), event(token({ sub: undefined, client_id: undefined, aud: 'api://orders' })), 'missing_principal');
  });
});

// ------------------------------------------------------------------------------------------
describe('rejected headers and events: 401', () => {
  test('malformed Authorization headers', async () => {
    const auth = authorizer();
    const jwt = token();
    const [h, p] = jwt.split('.');
    const cases: Array<[string, string]> = [
      [jwt, 'malformed_header'], // no scheme
      [`Basic ${b64url('user:password')}`, 'malformed_header'],
      [`Token ${jwt}`, 'malformed_header'],
      ['Bearer', 'malformed_header'],
      ['Bearer ', 'malformed_header'],
      [`Bearer  ${jwt}`, 'malformed_header'], // two spaces
      [`Bearer\t${jwt}`, 'malformed_header'],
      [`Bearer ${jwt} ${jwt}`, 'malformed_header'], // two tokens
      [`Bearer ${jwt},${jwt}`, 'malformed_header'],
      [`Bearer ${jwt} `, 'malformed_header'],
      [`Bearer ${h}.${p}`, 'malformed_header'], // two segments
      [`Bearer ${jwt}.${h}`, 'malformed_header'], // four segments
      ['Bearer !!!.@@@.###', 'non_canonical_token'], // three parts, not base64url
      ['Bearer a..b', 'malformed_header'],
      ['Bearer .a.b', 'malformed_header'],
      ['Bearer a.b.', 'malformed_header'],
      ['Bearer abc.dew.ghk', 'JwtParseError'], // canonical base64url, garbage content
      ['Bearer abc.def.ghi', 'non_canonical_token'], // 'f' and 'i' leave unused bits set
      [`Bearer ${b64url('not json')}.${p}.c2ln`, 'JwtParseError'], // header segment is not JSON
      [`Bearer ${b64url('["alg"]')}.${p}.c2ln`, 'JwtParseError'], // header segment is JSON, not an object
      [`Bearer ${h}.${b64url('{"exp":"soon"}')}.c2ln`, 'JwtParseError'],
    ];
    for (const [authorization, reason] of cases) await expectUnauthorized(auth, requestEvent({ authorization }), reason);
  });

  test(`an Authorization header longer than ${MAX_AUTHORIZATION_HEADER_LENGTH} characters, before any parsing or fetching`, async () => {
    idp.serveJwks('/jwks-size.json', [k1]);
    const auth = authorizer({ jwksUri: idp.url('/jwks-size.json') });
    // A valid token whose header value is exactly the limit is still allowed.
    const atLimit = tokenWithHeaderLength(MAX_AUTHORIZATION_HEADER_LENGTH);
    await allow(auth, requestEvent({ authorization: atLimit }), `${STAGE_ARN}GET/orders/*`);
    const over = tokenWithHeaderLength(MAX_AUTHORIZATION_HEADER_LENGTH + 1);
    await expectUnauthorized(auth, requestEvent({ authorization: over }), 'oversized_header');
    await expectUnauthorized(auth, requestEvent({ authorization: `Bearer ${'a'.repeat(100_000)}` }), 'oversized_header');
    const fresh = authorizer({ jwksUri: idp.url('/jwks-size.json') });
    await expectUnauthorized(fresh, requestEvent({ authorization: over }), 'oversized_header');
    expect(idp.hitCount('/jwks-size.json')).toBe(1); // only `auth`'s first (allowed) request fetched it
  });

  test('a missing or empty Authorization header', async () => {
    const auth = authorizer();
    await expectUnauthorized(auth, requestEvent(), 'missing_header');
    await expectUnauthorized(auth, requestEvent({ authorization: '' }), 'missing_header');
    await expectUnauthorized(auth, requestEvent({ headers: {} }), 'missing_header');
    await expectUnauthorized(auth, requestEvent({ headers: { 'X-Authorization': bearer(token()) } }), 'missing_header');
    await expectUnauthorized(auth, requestEvent({ headers: null }), 'missing_header');
  });

  test('a repeated Authorization header', async () => {
    const auth = authorizer();
    const a = bearer(token());
    const b = bearer(token({ sub: 'user-2' }));
    await expectUnauthorized(auth, requestEvent({ headers: { Authorization: a, authorization: b } }), 'malformed_header');
    await expectUnauthorized(auth, { ...requestEvent({ authorization: a }), multiValueHeaders: { Authorization: [b, a] } }, 'malformed_header');
  });

  test('null and odd events only ever reject with Error(Unauthorized)', async () => {
    const auth = authorizer();
    const good = requestEvent({ authorization: bearer(token()) });
    const throwing = new Proxy({}, { get: () => { throw new Error('boom'); }, ownKeys: () => { throw new Error('boom'); } });
    const cases: Array<[unknown, string]> = [
      [null, 'malformed_event'],
      [undefined, 'malformed_event'],
      [42, 'malformed_event'],
      ['Bearer x', 'malformed_event'],
      [[], 'malformed_event'],
      [{}, 'malformed_event'],
      [throwing, 'internal_error'],
      [{ ...good, headers: throwing }, 'internal_error'],
      [{ ...good, headers: { Authorization: 42 } }, 'malformed_header'],
      [{ ...good, headers: { Authorization: [bearer(token())] } }, 'malformed_header'],
      [{ ...good, headers: 'Authorization: Bearer x' }, 'missing_header'],
      [{ ...good, methodArn: undefined }, 'malformed_event'],
      [{ ...good, methodArn: 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5' }, 'malformed_event'],
      [{ ...good, methodArn: 'not-an-arn/prod/GET/orders/42' }, 'malformed_event'],
      [{ ...good, methodArn: 42 }, 'malformed_event'],
      [{ ...good, requestContext: { ...good.requestContext, resourcePath: 42 }, resource: undefined }, 'malformed_event'],
      [{ ...good, requestContext: { ...good.requestContext, httpMethod: '' }, httpMethod: null }, 'malformed_event'],
      [{ ...good, requestContext: { ...good.requestContext, resourcePath: 'orders' } }, 'malformed_event'],
      [{ ...good, requestContext: { ...good.requestContext, httpMethod: 'GET/*' } }, 'malformed_event'],
      [{ ...good, requestContext: 'ctx', httpMethod: undefined }, 'malformed_event'],
    ];
    for (const [event, reason] of cases) await expectUnauthorized(auth, event, reason);
    const withGetter = Object.defineProperty({ ...good }, 'headers', { get: () => { throw new TypeError('getter'); } });
    await expectUnauthorized(auth, withGetter, 'internal_error');
  });
});

// ------------------------------------------------------------------------------------------
describe('JWKS and discovery', () => {
  test('a JWKS server that is down rejects; the fetch is retried on a later request', async () => {
    const port = await closedPort();
    await expectUnauthorized(authorizer({ jwksUri: `https://127.0.0.1:${port}/jwks.json` }), requestEvent({ authorization: bearer(token()) }),
      'FetchError');

    let up = false;
    idp.respond('/jwks-flaky.json', () => (up ? { status: 200, body: JSON.stringify({ keys: [k1.jwk()] }) } : 'reset'));
    const auth = authorizer({ jwksUri: idp.url('/jwks-flaky.json') });
    const event = requestEvent({ authorization: bearer(token()) });
    await expectUnauthorized(auth, event, 'FetchError');
    idp.respond('/jwks-flaky.json', () => ({ status: 503, body: 'unavailable' }));
    await expectUnauthorized(auth, event, 'NonRetryableFetchError');
    idp.respond('/jwks-flaky.json', () => ({ status: 200, body: '<html>' }));
    await expectUnauthorized(auth, event, 'JwksValidationError');
    up = true;
    idp.respond('/jwks-flaky.json', () => ({ status: 200, body: JSON.stringify({ keys: [k1.jwk()] }) }));
    await allow(auth, event, `${STAGE_ARN}GET/orders/*`);
  });

  test('key rotation: a token with a new kid is accepted by the same authorizer after one refetch', async () => {
    idp.serveJwks('/jwks-rotating.json', [k1]);
    const auth = authorizer({ jwksUri: idp.url('/jwks-rotating.json') });
    await allow(auth, requestEvent({ authorization: bearer(token({}, k1)) }), `${STAGE_ARN}GET/orders/*`);
    idp.serveJwks('/jwks-rotating.json', [k2]);
    await allow(auth, requestEvent({ authorization: bearer(token({}, k1)) }), `${STAGE_ARN}GET/orders/*`); // cached k1
    expect(idp.hitCount('/jwks-rotating.json')).toBe(1);
    await allow(auth, requestEvent({ authorization: bearer(token({ sub: 'user-2' }, k2)) }), `${STAGE_ARN}GET/orders/*`);
    await allow(auth, requestEvent({ authorization: bearer(token({ sub: 'user-3' }, k2)) }), `${STAGE_ARN}GET/orders/*`);
    expect(idp.hitCount('/jwks-rotating.json')).toBe(2);
  });

  test('the keys are fetched again once they are 10 minutes old: a key the issuer withdrew stops verifying', async () => {
    let clock = aheadOfTokens();
    const path = '/jwks-ttl.json';
    idp.serveJwks(path, [k1]);
    const auth = createAuthorizer(config({ jwksUri: idp.url(path) }), { fetcher: testFetcher(), now: () => clock });
    const signedBy = (key: SigningKey) => requestEvent({ authorization: bearer(token({}, key)) });
    await allow(auth, signedBy(k1), `${STAGE_ARN}GET/orders/*`);
    expect(idp.hitCount(path)).toBe(1);
    // The issuer adds k2: a token with the new kid is verified at once, after one fetch.
    idp.serveJwks(path, [k1, k2]);
    clock += 60_000;
    await allow(auth, signedBy(k2), `${STAGE_ARN}GET/orders/*`);
    expect(idp.hitCount(path)).toBe(2);
    // It withdraws k1: k1's tokens still pass until the keys fetched last are 10 minutes old...
    idp.serveJwks(path, [k2]);
    clock += 600_000 - 1;
    await allow(auth, signedBy(k1), `${STAGE_ARN}GET/orders/*`);
    expect(idp.hitCount(path)).toBe(2);
    // ... and not from then on.
    clock += 1;
    await expectUnauthorized(auth, signedBy(k1), 'KidNotFoundInJwksError');
    expect(idp.hitCount(path)).toBe(3);
    await allow(auth, signedBy(k2), `${STAGE_ARN}GET/orders/*`);
    expect(idp.hitCount(path)).toBe(3);
    // Concurrent requests when the keys expire wait for one fetch.
    clock += 600_000;
    await Promise.all([1, 2, 3].map(() => allow(auth, signedBy(k2), `${STAGE_ARN}GET/orders/*`)));
    expect(idp.hitCount(path)).toBe(4);
  });

  test('jwksCacheTtlSeconds sets the age; a key replaced under the same kid verifies once the keys are fetched again', async () => {
    let clock = aheadOfTokens();
    const path = '/jwks-same-kid.json';
    const replacement = new SigningKey('k1');
    idp.serveJwks(path, [k1]);
    const auth = createAuthorizer(config({ jwksUri: idp.url(path), jwksCacheTtlSeconds: 60 }), { fetcher: testFetcher(), now: () => clock });
    const signedBy = (key: SigningKey) => requestEvent({ authorization: bearer(token({}, key)) });
    await allow(auth, signedBy(k1), `${STAGE_ARN}GET/orders/*`);
    idp.serveJwks(path, [replacement]);
    clock += 59_999;
    await allow(auth, signedBy(k1), `${STAGE_ARN}GET/orders/*`);
    clock += 1;
    await expectUnauthorized(auth, signedBy(k1), 'JwtInvalidSignatureError');
    await allow(auth, signedBy(replacement), `${STAGE_ARN}GET/orders/*`);
    expect(idp.hitCount(path)).toBe(2);
  });

  test('keys that cannot be fetched again keep verifying one more TTL at most, then every token is refused until a fetch succeeds', async () => {
    const start = aheadOfTokens();
    let clock = start;
    const path = '/jwks-refresh-fails.json';
    idp.serveJwks(path, [k1]);
    const auth = createAuthorizer(config({ jwksUri: idp.url(path) }), { fetcher: testFetcher(), now: () => clock });
    const ev = requestEvent({ authorization: bearer(token()) });
    const refreshFailed = { level: 'warn', msg: 'keys not refreshed, cached keys kept', reason: 'NonRetryableFetchError' };
    await allow(auth, ev, `${STAGE_ARN}GET/orders/*`);
    idp.respond(path, () => ({ status: 503, body: 'unavailable' }));
    // 10 minutes on, the fetch fails: the cached keys still verify, and the failure is logged.
    clock = start + 600_000;
    expect(logged((await expectPolicy(auth, ev, 'Allow', `${STAGE_ARN}GET/orders/*`)).lines)).toEqual(refreshFailed);
    expect(idp.hitCount(path)).toBe(2);
    // No new attempt within 30 seconds of a failed one...
    clock += 29_999;
    await allow(auth, ev, `${STAGE_ARN}GET/orders/*`);
    expect(idp.hitCount(path)).toBe(2);
    // ... then one, which fails again.
    clock += 1;
    expect(logged((await expectPolicy(auth, ev, 'Allow', `${STAGE_ARN}GET/orders/*`)).lines)).toEqual(refreshFailed);
    expect(idp.hitCount(path)).toBe(3);
    clock = start + 1_200_000 - 1;
    expect(logged((await expectPolicy(auth, ev, 'Allow', `${STAGE_ARN}GET/orders/*`)).lines)).toEqual(refreshFailed);
    expect(idp.hitCount(path)).toBe(4);
    // Twice the TTL after the last successful fetch: refused, and every request tries again.
    clock = start + 1_200_000;
    await expectUnauthorized(auth, ev, 'NonRetryableFetchError');
    await expectUnauthorized(auth, ev, 'NonRetryableFetchError');
    expect(idp.hitCount(path)).toBe(6);
    idp.serveJwks(path, [k1]);
    await allow(auth, ev, `${STAGE_ARN}GET/orders/*`);
    expect(idp.hitCount(path)).toBe(7);
  });

  test('without JWT_JWKS_URI the JWKS URI comes from OIDC discovery, once', async () => {
    for (const [issuerPath, tenant] of [['/tenant-a', 'a'], ['/tenant-b/', 'b']]) {
      const issuer = idp.url(issuerPath);
      idp.serve(`/tenant-${tenant}/.well-known/openid-configuration`, { issuer, jwks_uri: idp.url(`/tenant-${tenant}/keys`) });
      idp.serveJwks(`/tenant-${tenant}/keys`, [k1]);
      const auth = authorizer({ issuer, jwksUri: undefined });
      await allow(auth, requestEvent({ authorization: bearer(token({ iss: issuer })) }), `${STAGE_ARN}GET/orders/*`);
      await allow(auth, requestEvent({ authorization: bearer(token({ iss: issuer, sub: 'u2' })) }), `${STAGE_ARN}GET/orders/*`);
      await expectUnauthorized(auth, requestEvent({ authorization: bearer(token()) }), 'JwtInvalidIssuerError');
      expect(idp.hitCount(`/tenant-${tenant}/.well-known/openid-configuration`)).toBe(1);
      expect(idp.hitCount(`/tenant-${tenant}/keys`)).toBe(1);
    }
  });

  test('a failed discovery is not cached: the next request tries again', async () => {
    const issuer = idp.url('/tenant-c');
    const discovery = '/tenant-c/.well-known/openid-configuration';
    idp.respond(discovery, () => ({ status: 500, body: 'error' }));
    idp.serveJwks('/tenant-c/keys', [k1]);
    const auth = authorizer({ issuer, jwksUri: undefined });
    const event = requestEvent({ authorization: bearer(token({ iss: issuer })) });
    await expectUnauthorized(auth, event, 'discovery_failed');
    idp.respond(discovery, () => ({ status: 200, body: '{"issuer": ' }));
    await expectUnauthorized(auth, event, 'discovery_failed');
    idp.serve(discovery, { issuer, jwks_uri: idp.url('/tenant-c/keys') });
    await allow(auth, event, `${STAGE_ARN}GET/orders/*`);
    await allow(auth, event, `${STAGE_ARN}GET/orders/*`);
    expect(idp.hitCount(discovery)).toBe(3);
  });

  test('a discovery document with another issuer, or a JWKS URI that is not https, is rejected', async () => {
    const issuer = idp.url('/tenant-d');
    const discovery = '/tenant-d/.well-known/openid-configuration';
    const event = requestEvent({ authorization: bearer(token({ iss: issuer })) });
    const auth = authorizer({ issuer, jwksUri: undefined });
    for (const doc of [
      { issuer: idp.url('/tenant-x'), jwks_uri: idp.url('/jwks.json') },
      { jwks_uri: idp.url('/jwks.json') },
      { issuer, jwks_uri: idp.url('/jwks.json').replace('https:', 'http:') },
      { issuer },
      { issuer, jwks_uri: 'not a url' },
      ['array'],
    ]) {
      idp.serve(discovery, doc);
      await expectUnauthorized(auth, event, 'discovery_invalid');
    }
  });
});

// ------------------------------------------------------------------------------------------
describe('configuration', () => {
  test('an invalid configuration does not throw at creation; every request is rejected', async () => {
    const bad: unknown[] = [
      { ...config(), issuer: 'http://127.0.0.1/issuer' },
      { ...config(), issuer: undefined },
      { ...config(), audience: [] },
      { ...config(), audience: 'api://orders' },
      { ...config(), jwksUri: 'http://127.0.0.1/jwks.json' },
      { ...config(), routes: { 'FETCH /orders': [] } },
      { ...config(), routes: { 'GET orders': [] } },
      { ...config(), routes: { 'GET /orders': 'orders/read' } },
      { ...config(), routes: { 'GET /orders': ['orders/read orders/write'] } },
      { ...config(), routes: null },
      { ...config(), maxTokenLifetimeSeconds: 0 },
      { ...config(), maxTokenLifetimeSeconds: 1.5 },
      { ...config(), maxTokenLifetimeSeconds: '3600' },
      { ...config(), jwksCacheTtlSeconds: -600 },
      { ...config(), jwksCacheTtlSeconds: Infinity },
      { ...config(), jwksCacheTtlSeconds: 31_536_001 },
      null,
      'config',
    ];
    for (const c of bad) {
      const before = LINES.length;
      let auth: AuthorizerHandler | undefined;
      expect(() => (auth = createAuthorizer(c as AuthorizerConfig, { fetcher: testFetcher() }))).not.toThrow();
      expect(LINES.slice(before).map((l) => JSON.parse(l))).toEqual([
        { level: 'error', msg: 'invalid configuration', reason: 'config', detail: expect.any(String) },
      ]);
      await expectUnauthorized(auth!, requestEvent({ authorization: bearer(token()) }), 'config');
      await expectUnauthorized(auth!, null, 'config');
    }
  });
});

// ------------------------------------------------------------------------------------------
// Last: what every test above logged.
test('no log line contains a token, any of its segments, or the Authorization header', () => {
  expect(LINES.length).toBeGreaterThan(50);
  const secrets = new Set<string>();
  for (const jwt of ISSUED_TOKENS) {
    secrets.add(jwt);
    for (const segment of jwt.split('.')) if (segment.length >= 8) secrets.add(segment);
  }
  expect(secrets.size).toBeGreaterThan(100);
  for (const line of LINES) {
    expect(() => JSON.parse(line)).not.toThrow();
    expect(line).not.toMatch(/bearer|authorization/i);
    expect(line).not.toContain('eyJ');
    for (const secret of secrets) if (line.includes(secret)) throw new Error(`a log line contains token material: ${line}`);
    const fields = Object.keys(JSON.parse(line));
    for (const f of fields) expect(['level', 'msg', 'reason', 'route', 'requestId', 'sub', 'detail']).toContain(f);
  }
});

/** `Bearer <valid token>` of exactly `length` characters (a filler claim makes up the size). */
function tokenWithHeaderLength(length: number): string {
  for (let filler = Math.floor(length * 0.75); filler > 0; filler--) {
    for (let jti = 0; jti < 4; jti++) {
      const now = nowSeconds();
      const c = { iss: ISSUER, aud: 'api://orders', sub: 'user-1', scope: 'orders/read', exp: now + 600, jti: 'j'.repeat(jti), x: 'f'.repeat(filler) };
      const header = `Bearer ${b64url(JSON.stringify({ alg: 'RS256', kid: 'k1' }))}.${b64url(JSON.stringify(c))}.`;
      if (header.length + 342 === length) return `Bearer ${signJwt(k1, c, { alg: 'RS256', kid: 'k1' })}`; // RS256/2048: 342 chars
    }
  }
  throw new Error(`no token of ${length} characters`);
}
