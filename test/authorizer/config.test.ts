import { authorizerFromEnv, ConfigError, configFromEnv } from '../../lambda/jwt-authorizer/authorizer';
import { requestEvent } from './fixtures/idp';

const ENV = {
  JWT_ISSUER: 'https://idp.example.com/realms/shop',
  JWT_AUDIENCE: '["api://orders","app-1"]',
  JWT_ROUTES: '{"GET /orders/{id}":["orders/read","orders/admin"],"ANY /{proxy+}":[],"GET /":[]}',
  JWT_JWKS_URI: 'https://idp.example.com/realms/shop/protocol/openid-connect/certs',
};

let lines: string[];
beforeEach(() => {
  lines = [];
  for (const m of ['log', 'warn', 'error'] as const) {
    jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(String(args[0])));
  }
});
afterEach(() => jest.restoreAllMocks());

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('configFromEnv', () => {
  test('reads every variable', () => {
    expect(configFromEnv(ENV)).toEqual({
      issuer: 'https://idp.example.com/realms/shop',
      audience: ['api://orders', 'app-1'],
      jwksUri: 'https://idp.example.com/realms/shop/protocol/openid-connect/certs',
      routes: { 'GET /orders/{id}': ['orders/read', 'orders/admin'], 'ANY /{proxy+}': [], 'GET /': [] },
    });
  });

  test('JWT_JWKS_URI is optional (absent or empty: OIDC discovery)', () => {
    expect(configFromEnv({ ...ENV, JWT_JWKS_URI: undefined })).not.toHaveProperty('jwksUri');
    expect(configFromEnv({ ...ENV, JWT_JWKS_URI: '' })).not.toHaveProperty('jwksUri');
  });

  test('JWT_MAX_LIFETIME_SECONDS and JWT_JWKS_CACHE_TTL_SECONDS are whole seconds, optional (absent or empty: the defaults)', () => {
    expect(configFromEnv({ ...ENV, JWT_MAX_LIFETIME_SECONDS: '3600', JWT_JWKS_CACHE_TTL_SECONDS: '300' })).toMatchObject({
      maxTokenLifetimeSeconds: 3600,
      jwksCacheTtlSeconds: 300,
    });
    for (const value of [undefined, '']) {
      const config = configFromEnv({ ...ENV, JWT_MAX_LIFETIME_SECONDS: value, JWT_JWKS_CACHE_TTL_SECONDS: value });
      expect(config).not.toHaveProperty('maxTokenLifetimeSeconds');
      expect(config).not.toHaveProperty('jwksCacheTtlSeconds');
    }
  });

  test.each<[string, { [k: string]: string | undefined }, RegExp]>([
    ['no issuer', { JWT_ISSUER: undefined }, /^JWT_ISSUER is required$/],
    ['an http issuer', { JWT_ISSUER: 'http://idp.example.com' }, /^JWT_ISSUER must be an https URL$/],
    ['an issuer that is not a URL', { JWT_ISSUER: 'idp.example.com' }, /^JWT_ISSUER must be an https URL$/],
    ['no audience', { JWT_AUDIENCE: '' }, /^JWT_AUDIENCE is required$/],
    ['an audience that is not JSON', { JWT_AUDIENCE: 'api://orders' }, /^JWT_AUDIENCE is not valid JSON$/],
    ['an audience that is a string', { JWT_AUDIENCE: '"api://orders"' }, /^JWT_AUDIENCE must be a non-empty array/],
    ['an empty audience', { JWT_AUDIENCE: '[]' }, /^JWT_AUDIENCE must be a non-empty array/],
    ['an audience with a number', { JWT_AUDIENCE: '["a", 1]' }, /^JWT_AUDIENCE must be a non-empty array/],
    ['an http JWKS URI', { JWT_JWKS_URI: 'http://idp.example.com/certs' }, /^JWT_JWKS_URI must be an https URL$/],
    ['no routes', { JWT_ROUTES: undefined }, /^JWT_ROUTES is required$/],
    ['routes that are not JSON', { JWT_ROUTES: '{GET /: []}' }, /^JWT_ROUTES is not valid JSON$/],
    ['routes as an array', { JWT_ROUTES: '[]' }, /^JWT_ROUTES must be an object/],
    ['a lower-case method', { JWT_ROUTES: '{"get /":[]}' }, /^JWT_ROUTES has a key/],
    ['an unknown method', { JWT_ROUTES: '{"FETCH /":[]}' }, /^JWT_ROUTES has a key/],
    ['a path without /', { JWT_ROUTES: '{"GET orders":[]}' }, /^JWT_ROUTES has a key/],
    ['a key with two spaces', { JWT_ROUTES: '{"GET  /":[]}' }, /^JWT_ROUTES has a key/],
    ['scopes as a string', { JWT_ROUTES: '{"GET /":"orders/read"}' }, /^JWT_ROUTES has a value/],
    ['an empty scope', { JWT_ROUTES: '{"GET /":[""]}' }, /^JWT_ROUTES has a value/],
    ['a scope with a space', { JWT_ROUTES: '{"GET /":["a b"]}' }, /^JWT_ROUTES has a value/],
    ['JWT_MAX_LIFETIME_SECONDS 0', { JWT_MAX_LIFETIME_SECONDS: '0' }, /^JWT_MAX_LIFETIME_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_MAX_LIFETIME_SECONDS a negative number', { JWT_MAX_LIFETIME_SECONDS: '-60' }, /^JWT_MAX_LIFETIME_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_MAX_LIFETIME_SECONDS a fraction', { JWT_MAX_LIFETIME_SECONDS: '1.5' }, /^JWT_MAX_LIFETIME_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_MAX_LIFETIME_SECONDS an exponent', { JWT_MAX_LIFETIME_SECONDS: '1e3' }, /^JWT_MAX_LIFETIME_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_MAX_LIFETIME_SECONDS a leading space', { JWT_MAX_LIFETIME_SECONDS: ' 60' }, /^JWT_MAX_LIFETIME_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_MAX_LIFETIME_SECONDS a word', { JWT_MAX_LIFETIME_SECONDS: 'day' }, /^JWT_MAX_LIFETIME_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_MAX_LIFETIME_SECONDS over a year', { JWT_MAX_LIFETIME_SECONDS: '31536001' }, /^JWT_MAX_LIFETIME_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_JWKS_CACHE_TTL_SECONDS 0', { JWT_JWKS_CACHE_TTL_SECONDS: '0' }, /^JWT_JWKS_CACHE_TTL_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_JWKS_CACHE_TTL_SECONDS a negative number', { JWT_JWKS_CACHE_TTL_SECONDS: '-60' }, /^JWT_JWKS_CACHE_TTL_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_JWKS_CACHE_TTL_SECONDS a fraction', { JWT_JWKS_CACHE_TTL_SECONDS: '1.5' }, /^JWT_JWKS_CACHE_TTL_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_JWKS_CACHE_TTL_SECONDS an exponent', { JWT_JWKS_CACHE_TTL_SECONDS: '1e3' }, /^JWT_JWKS_CACHE_TTL_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_JWKS_CACHE_TTL_SECONDS a leading space', { JWT_JWKS_CACHE_TTL_SECONDS: ' 60' }, /^JWT_JWKS_CACHE_TTL_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_JWKS_CACHE_TTL_SECONDS a word', { JWT_JWKS_CACHE_TTL_SECONDS: 'day' }, /^JWT_JWKS_CACHE_TTL_SECONDS must be a whole number of seconds between 1 and 31536000$/],
    ['JWT_JWKS_CACHE_TTL_SECONDS over a year', { JWT_JWKS_CACHE_TTL_SECONDS: '31536001' }, /^JWT_JWKS_CACHE_TTL_SECONDS must be a whole number of seconds between 1 and 31536000$/],
  ])('rejects %s', (_name, overrides, message) => {
    const env = { ...ENV, ...overrides };
    let error: unknown;
    try {
      configFromEnv(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('authorizerFromEnv', () => {
  test('an invalid environment logs its reason once, does not throw, and rejects every request', async () => {
    const handler = authorizerFromEnv({ ...ENV, JWT_AUDIENCE: 'not json' });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { level: 'error', msg: 'invalid configuration', reason: 'config', detail: 'JWT_AUDIENCE is not valid JSON' },
    ]);
    for (const event of [requestEvent({ authorization: 'Bearer a.b.c', requestId: 'r-9' }), null]) {
      const err = await rejection(handler(event));
      expect(Object.getPrototypeOf(err)).toBe(Error.prototype);
      expect(err.message).toBe('Unauthorized');
    }
    expect(lines.slice(1).map((l) => JSON.parse(l))).toEqual([
      { level: 'warn', msg: 'rejected', reason: 'config', route: 'GET /orders/{id}', requestId: 'r-9' },
      { level: 'warn', msg: 'rejected', reason: 'config' },
    ]);
  });
});

describe('Lambda entry (index.ts)', () => {
  function loadHandler(env: { [k: string]: string | undefined }): (event: unknown) => Promise<unknown> {
    const saved = { ...process.env };
    let handler: ((event: unknown) => Promise<unknown>) | undefined;
    try {
      for (const k of Object.keys(ENV)) delete process.env[k];
      Object.assign(process.env, env);
      jest.isolateModules(() => {
        handler = require('../../lambda/jwt-authorizer/index').handler;
      });
    } finally {
      process.env = saved;
    }
    return handler!;
  }

  test('loads without a configuration and rejects every request', async () => {
    const handler = loadHandler({});
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { level: 'error', msg: 'invalid configuration', reason: 'config', detail: 'JWT_ISSUER is required' },
    ]);
    expect((await rejection(handler(requestEvent({ authorization: 'Bearer a.b.c' })))).message).toBe('Unauthorized');
  });

  test('is built from process.env at load', async () => {
    const handler = loadHandler(ENV);
    expect(lines).toEqual([]);
    expect((await rejection(handler(requestEvent())))).toEqual(new Error('Unauthorized'));
    expect(JSON.parse(lines[0])).toEqual({ level: 'warn', msg: 'rejected', reason: 'missing_header', route: 'GET /orders/{id}', requestId: 'req-1' });
  });
});
