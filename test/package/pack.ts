// Packs the library as a user's tarball is made (`npm pack`, whose prepack runs `npm run build`),
// from a copy of the working tree: the build writes dist/, .jsii and assets/ of the copy only, so
// it never races jsii.test.ts, which builds and reads them in the repository at the same time.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

/** What the build neither reads nor ships (top-level names of the repository). */
const NOT_COPIED = new Set(['.git', 'node_modules', 'dist', '.jsii', 'tsconfig.jsii.json', 'cdk.out', 'coverage', 'scratch', 'test', 'bench/out']);

/**
 * An environment without what `npm run` and jest put into the test's own: npm's `npm_*` settings
 * of this repository, its `node_modules/.bin` on the PATH, jest's `NODE_ENV=test` (which puts
 * aws-cdk-lib in its in-memory mode) and test/setup-env.js's `CDK_VALIDATION=false`. What is
 * left is the shell the tests were started from.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || ['INIT_CWD', 'NODE_ENV', 'JEST_WORKER_ID', 'CDK_VALIDATION'].includes(k)) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '').split(path.delimiter).filter((p) => !p.includes(`node_modules${path.sep}.bin`)).join(path.delimiter);
  return env;
}

/** Packs the working tree's library into `dest` (created if missing); returns the tarball's path. */
export function packLibrary(dest: string): string {
  fs.mkdirSync(dest, { recursive: true });
  const stage = fs.mkdtempSync(path.join(dest, 'stage-'));
  fs.cpSync(ROOT, stage, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(ROOT, src);
      return !NOT_COPIED.has(rel) && !(path.dirname(rel) === '.' && rel.endsWith('.tgz'));
    },
  });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(stage, 'node_modules'));
  const env = { ...cleanEnv(), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '1', JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' };
  const pack = spawnSync('npm', ['pack', '--silent', '--pack-destination', dest], { cwd: stage, env, encoding: 'utf8' });
  fs.rmSync(stage, { recursive: true, force: true });
  if (pack.status !== 0) throw new Error(`npm pack (with its prepack build) failed:\n${pack.stdout}${pack.stderr}`);
  return path.join(dest, pack.stdout.trim().split('\n').pop()!);
}
