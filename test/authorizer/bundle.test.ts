/**
 * The committed bundle (assets/jwt-authorizer/index.js), which the library deploys as is: current,
 * reproducible, small, and working on its own in a plain Node process.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { nowSeconds, requestEvent, signJwt, SigningKey, STAGE_ARN, TestIdp, TLS_CERT_FILE } from './fixtures/idp';
import { expectBundleCurrent } from '../util';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const ASSET_DIR = path.join(ROOT, 'assets', 'jwt-authorizer');
const BUNDLE = path.join(ASSET_DIR, 'index.js');

test('the committed bundle is byte-identical to a fresh build (current and reproducible)', () => expectBundleCurrent('jwt-authorizer', 'bundle-authorizer.mjs'));

test('the asset directory holds only index.js, under 150 KB, with nothing machine-specific', () => {
  expect(fs.readdirSync(ASSET_DIR)).toEqual(['index.js']);
  const code = fs.readFileSync(BUNDLE, 'utf8');
  expect(Buffer.byteLength(code)).toBeLessThan(150 * 1024);
  expect(code).not.toContain(ROOT);
  expect(code).not.toContain(os.homedir());
  expect(code).not.toMatch(/sourceMappingURL/);
  expect(code).not.toMatch(/require\("(aws-jwt-verify|esbuild)[^"]*"\)/); // dependencies are inside
  expect(code).toMatch(/aws-jwt-verify@\d+\.\d+\.\d+ \(Apache-2\.0\)/); // bundled licenses listed
});

describe('the committed bundle in a plain Node process', () => {
  const idp = new TestIdp();
  const key = new SigningKey('bundle-k1');
  beforeAll(async () => {
    await idp.start();
    idp.serve('/bundle/.well-known/openid-configuration', { issuer: idp.url('/bundle'), jwks_uri: idp.url('/bundle/jwks') });
    idp.serveJwks('/bundle/jwks', [key]);
  });
  afterAll(() => idp.close());

  test('allows a valid token (JWKS URI by discovery) and rejects a bad one with Error(Unauthorized)', async () => {
    const issuer = idp.url('/bundle');
    const now = nowSeconds();
    const jwt = signJwt(key, { iss: issuer, aud: 'api://orders', sub: 'user-1', scope: 'orders/read', exp: now + 600 });
    const expired = signJwt(key, { iss: issuer, aud: 'api://orders', sub: 'user-1', scope: 'orders/read', exp: now - 600 });
    const events = [
      requestEvent({ authorization: `Bearer ${jwt}` }),
      requestEvent({ authorization: `Bearer ${expired}`, requestId: 'req-expired' }),
    ];
    const child = `
      const { handler } = require(process.argv[1]);
      (async () => {
        const out = [];
        for (const event of JSON.parse(process.env.TEST_EVENTS)) {
          try { out.push({ result: await handler(event) }); }
          catch (err) { out.push({ error: err.message, plainError: Object.getPrototypeOf(err) === Error.prototype }); }
        }
        process.stdout.write(JSON.stringify(out), () => process.exit(0));
      })();`;
    const { stdout, stderr } = await run(process.execPath, ['-e', child, BUNDLE], {
      cwd: os.tmpdir(),
      env: {
        PATH: process.env.PATH,
        NODE_EXTRA_CA_CERTS: TLS_CERT_FILE,
        JWT_ISSUER: issuer,
        JWT_AUDIENCE: '["api://orders"]',
        JWT_ROUTES: '{"GET /orders/{id}":["orders/read"]}',
        TEST_EVENTS: JSON.stringify(events),
      },
    });
    expect(JSON.parse(stdout)).toEqual([
      {
        result: {
          principalId: 'user-1',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${STAGE_ARN}GET/orders/*` }],
          },
          context: { sub: 'user-1', scope: 'orders/read', clientId: '' },
        },
      },
      { error: 'Unauthorized', plainError: true },
    ]);
    expect(stderr.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { level: 'warn', msg: 'rejected', reason: 'JwtExpiredError', route: 'GET /orders/{id}', requestId: 'req-expired' },
    ]);
    expect(idp.hitCount('/bundle/.well-known/openid-configuration')).toBe(1);
    expect(idp.hitCount('/bundle/jwks')).toBe(1);
  });
});
