// `npx tsx bench/authorizer.ts` (the second half of `npm run bench`): the JWT authorizer as it is
// deployed, i.e. the committed bundle assets/jwt-authorizer/index.js.
//
// - bundle size, raw and gzipped;
// - module init, a cold-start proxy: in fresh `node` processes, require the bundle and make the
//   first handler call (which fetches the JWKS over HTTPS from a local server), timed inside the
//   child with process.hrtime; median of BENCH_INIT_RUNS processes. Node's own start is excluded.
// - verification with a warm JWKS: the handler against aws-jwt-verify's JwtVerifier.verify called
//   directly, on the same BENCH_TOKENS distinct tokens, in a child process (which trusts the
//   local server's certificate through NODE_EXTRA_CA_CERTS, as the bundle uses the default
//   fetcher); BENCH_ROUNDS rounds of paired batches of 100 tokens, median µs per token.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { gzipSync } from 'zlib';
import { nowSeconds, requestEvent, signJwt, SigningKey, TestIdp, TLS_CERT_FILE } from '../test/authorizer/fixtures/idp';

const ROOT = path.join(__dirname, '..');
const BUNDLE = path.join(ROOT, 'assets', 'jwt-authorizer', 'index.js');
const INIT_RUNS = Number(process.env.BENCH_INIT_RUNS ?? 15);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const BATCH = 100;
const TARGETS = { bundleKB: 150, initMs: 50, ratio: 1.2 };

const AUDIENCE = 'api://orders';
const ROUTES = { 'GET /orders/{id}': ['orders/read'] };
const run = promisify(execFile);

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface VerifyInput {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly tokens: readonly string[];
  readonly events: readonly unknown[];
}

interface VerifyOutput {
  /** µs per token, one sample per batch and round, paired: handlerUs[i] and directUs[i] ran back to back. */
  readonly handlerUs: number[];
  readonly directUs: number[];
}

/**
 * Child: per-token verification time of the bundled handler and of JwtVerifier.verify. The tokens
 * go in batches of BATCH; each batch runs through both sides back to back (which side first
 * alternates), so that a burst of load on the machine hits both sides of a pair alike.
 */
async function verifyChild(inputFile: string): Promise<void> {
  const input: VerifyInput = JSON.parse(fs.readFileSync(inputFile, 'utf8'));
  const { handler } = require(BUNDLE) as { handler: (event: unknown) => Promise<{ policyDocument: { Statement: [{ Effect: string }] } }> };
  const { JwtVerifier } = require('aws-jwt-verify') as typeof import('aws-jwt-verify');
  const direct = JwtVerifier.create({ issuer: input.issuer, audience: AUDIENCE, jwksUri: input.jwksUri });

  const timeHandler = async (from: number, to: number): Promise<number> => {
    const t0 = process.hrtime.bigint();
    for (let i = from; i < to; i++) {
      const r = await handler(input.events[i]);
      if (r.policyDocument.Statement[0].Effect !== 'Allow') throw new Error('not allowed');
    }
    return Number(process.hrtime.bigint() - t0) / 1e3 / (to - from);
  };
  const timeDirect = async (from: number, to: number): Promise<number> => {
    const t0 = process.hrtime.bigint();
    for (let i = from; i < to; i++) await direct.verify(input.tokens[i]);
    return Number(process.hrtime.bigint() - t0) / 1e3 / (to - from);
  };

  // Warm: JWKS fetched and keys imported on both sides, code optimised.
  await timeHandler(0, input.tokens.length);
  await timeDirect(0, input.tokens.length);
  const out: VerifyOutput = { handlerUs: [], directUs: [] };
  let pair = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let from = 0; from < input.tokens.length; from += BATCH, pair++) {
      const to = Math.min(from + BATCH, input.tokens.length);
      if (pair % 2 === 0) {
        out.handlerUs.push(await timeHandler(from, to));
        out.directUs.push(await timeDirect(from, to));
      } else {
        out.directUs.push(await timeDirect(from, to));
        out.handlerUs.push(await timeHandler(from, to));
      }
    }
  }
  process.stdout.write(JSON.stringify(out), () => process.exit(0));
}

interface InitSample {
  readonly requireMs: number;
  readonly firstCallMs: number;
  readonly totalMs: number;
}

const TIMED = `
const ms = (a, b) => Number(b - a) / 1e6;
const report = (t0, t1, t2) =>
  process.stdout.write(JSON.stringify({ requireMs: ms(t0, t1), firstCallMs: ms(t1, t2), totalMs: ms(t0, t2) }), () => process.exit(0));`;

/** Child code (plain node -e): require the bundle, then the first handler call, timed inside. */
const INIT_CHILD = `${TIMED}
const t0 = process.hrtime.bigint();
const { handler } = require(process.argv[1]);
const t1 = process.hrtime.bigint();
handler(JSON.parse(process.env.BENCH_EVENT)).then((r) => {
  if (r.policyDocument.Statement[0].Effect !== 'Allow') throw new Error('not allowed');
  report(t0, t1, process.hrtime.bigint());
});`;

/** The floor: the same JWKS fetched and parsed by bare Node (require https, one GET), no authorizer. */
const BASELINE_CHILD = `${TIMED}
const t0 = process.hrtime.bigint();
const https = require('https');
const t1 = process.hrtime.bigint();
https.get(process.env.JWT_JWKS_URI, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    report(t0, t1, process.hrtime.bigint());
  });
});`;

type InitVariant = { readonly code: string; readonly env: { readonly [k: string]: string } };

async function initSample(variant: InitVariant, event: unknown): Promise<InitSample> {
  const { stdout } = await run(process.execPath, ['-e', variant.code, BUNDLE], {
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: TLS_CERT_FILE, BENCH_EVENT: JSON.stringify(event), ...variant.env },
  });
  return JSON.parse(stdout);
}

/** INIT_RUNS fresh processes per variant, the variants interleaved so that load on the machine hits all alike. */
async function measureInit(variants: { [name: string]: InitVariant }, event: unknown): Promise<{ [name: string]: InitSample[] }> {
  const samples: { [name: string]: InitSample[] } = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < INIT_RUNS; i++) {
    for (const [name, variant] of Object.entries(variants)) samples[name].push(await initSample(variant, event));
  }
  return samples;
}

async function main(): Promise<void> {
  const bundle = fs.readFileSync(BUNDLE);
  const gzipped = gzipSync(bundle, { level: 9 }).length;

  const idp = await new TestIdp().start();
  const key = new SigningKey('bench-k1');
  const issuer = idp.url('/bench');
  const jwksUri = idp.url('/bench/jwks');
  idp.serveJwks('/bench/jwks', [key]);
  idp.serve('/bench/.well-known/openid-configuration', { issuer, jwks_uri: jwksUri });
  const exp = nowSeconds() + 3600;
  const tokens = Array.from({ length: TOKENS }, (_, i) =>
    signJwt(key, { iss: issuer, aud: AUDIENCE, sub: `user-${i}`, client_id: 'bench-client', scope: 'orders/read profile', jti: `jti-${i}`, exp }));
  const events = tokens.map((jwt, i) => requestEvent({ authorization: `Bearer ${jwt}`, path: `/orders/${i}`, requestId: `req-${i}` }));
  const baseEnv = { JWT_ISSUER: issuer, JWT_AUDIENCE: JSON.stringify([AUDIENCE]), JWT_ROUTES: JSON.stringify(ROUTES) };

  try {
    const withJwksUri = { ...baseEnv, JWT_JWKS_URI: jwksUri };
    const init = await measureInit({
      'baseline': { code: BASELINE_CHILD, env: withJwksUri },
      'JWT_JWKS_URI': { code: INIT_CHILD, env: withJwksUri },
      'OIDC discovery': { code: INIT_CHILD, env: baseEnv },
    }, events[0]);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'authorizer-bench-'));
    let verify: VerifyOutput;
    try {
      const inputFile = path.join(dir, 'input.json');
      fs.writeFileSync(inputFile, JSON.stringify({ issuer, jwksUri, tokens, events } satisfies VerifyInput));
      const { stdout } = await run(process.execPath, ['--import', 'tsx', __filename, 'verify-child', inputFile], {
        cwd: ROOT,
        env: { ...process.env, NODE_EXTRA_CA_CERTS: TLS_CERT_FILE, ...baseEnv, JWT_JWKS_URI: jwksUri },
        maxBuffer: 16 * 1024 * 1024,
      });
      verify = JSON.parse(stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const kb = (n: number) => (n / 1024).toFixed(1);
    const status = (ok: boolean) => (ok ? 'met' : 'missed');
    const handlerUs = median(verify.handlerUs);
    const directUs = median(verify.directUs);
    const ratio = handlerUs / directUs;
    const pairedRatio = median(verify.handlerUs.map((h, i) => h / verify.directUs[i]));
    const med = (s: InitSample[], k: keyof InitSample) => median(s.map((x) => x[k]));
    const rows: string[][] = [
      ['bundle size', `${bundle.length} B (${kb(bundle.length)} KB)`, `< ${TARGETS.bundleKB} KB`, status(bundle.length < TARGETS.bundleKB * 1024)],
      ['bundle size, gzip -9', `${gzipped} B (${kb(gzipped)} KB)`, '', ''],
    ];
    const base = init.baseline;
    rows.push([`init floor, bare Node: require https + GET JWKS, median of ${base.length}`,
      `${med(base, 'requireMs').toFixed(2)} + ${med(base, 'firstCallMs').toFixed(2)} = ${med(base, 'totalMs').toFixed(2)} ms`, '', '']);
    for (const label of ['JWT_JWKS_URI', 'OIDC discovery']) {
      const s = init[label];
      const total = med(s, 'totalMs');
      const min = Math.min(...s.map((x) => x.totalMs));
      rows.push(
        [`init (${label}): require bundle`, `${med(s, 'requireMs').toFixed(2)} ms`, '', ''],
        [`init (${label}): first call incl. ${label === 'OIDC discovery' ? 'discovery + ' : ''}JWKS fetch`, `${med(s, 'firstCallMs').toFixed(2)} ms`, '', ''],
        [`init (${label}): total, median of ${s.length} (min)`, `${total.toFixed(2)} ms (${min.toFixed(2)})`, `< ${TARGETS.initMs} ms`,
          status(total < TARGETS.initMs)],
      );
    }
    rows.push(
      ['verify, warm JWKS: handler', `${handlerUs.toFixed(1)} µs/token`, '', ''],
      ['verify, warm JWKS: JwtVerifier.verify', `${directUs.toFixed(1)} µs/token`, '', ''],
      ['verify ratio handler / JwtVerifier.verify (medians)', `${ratio.toFixed(3)}x`, `≤ ${TARGETS.ratio}x`, status(ratio <= TARGETS.ratio)],
      [`verify ratio, median of ${verify.handlerUs.length} paired batches`, `${pairedRatio.toFixed(3)}x`, '', ''],
    );

    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`\nJWT authorizer: node ${process.version}, ${os.cpus().length} CPUs (load ${load}), ${TOKENS} distinct RS256 tokens x ${ROUNDS} rounds`);
    console.log(`init: ${INIT_RUNS} fresh processes per variant, interleaved; verify: median over batches of ${BATCH} tokens, per token\n`);
    const header = ['metric', 'value', 'target', 'status'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    console.log([line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
  } finally {
    await idp.close();
  }
}

if (process.argv[2] === 'verify-child') {
  void verifyChild(process.argv[3]);
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
