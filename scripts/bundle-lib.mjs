// What the Lambda bundling scripts share: each bundles one handler (lambda/<name>/index.ts) into the
// single committed file the library deploys with lambda.Code.fromAsset (assets/<name>/index.js).
// A committed bundle must be reproducible: no source map, no absolute paths, the same bytes on every
// machine for the same sources and lockfile. Licenses of the bundled packages are listed at its end.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The outfile of `[--outfile <path>]` in `argv`, else `defaultOutfile`; `usage` names the script in errors. */
export function parseOutfileArgs(argv, defaultOutfile, usage) {
  let outfile = defaultOutfile;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--outfile' && argv[i + 1]) outfile = resolve(argv[++i]);
    else if (argv[i].startsWith('--outfile=')) outfile = resolve(argv[i].slice('--outfile='.length));
    else throw new Error(`unknown argument: ${argv[i]} (usage: ${usage} [--outfile <path>])`);
  }
  return { outfile };
}

/**
 * `/*! ... *\/` naming each bundled package with its version and license, in a stable order, and the
 * packages left to the runtime (`external`), if any. Empty when the bundle holds no package and
 * leaves none out.
 */
export function licenseFooter(metafile, root, external = []) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (!m || packages.has(m[2])) continue;
    const pkg = JSON.parse(readFileSync(join(root, m[1], 'package.json'), 'utf8'));
    packages.set(m[2], `${pkg.name}@${pkg.version} (${pkg.license ?? 'see package'})`);
  }
  if (packages.size === 0 && external.length === 0) return '';
  const lines = packages.size > 0
    ? [...packages.keys()].sort().map((name) => ` * ${packages.get(name)}`)
    : [' * none'];
  const provided = external.length > 0 ? `\n * Provided by the Lambda runtime, not bundled: ${[...external].sort().join(', ')}` : '';
  return `/*! Bundled third-party packages:\n${lines.join('\n')}${provided}\n */\n`;
}

/**
 * Bundles `entry` (relative to `root`) into `outfile`: CommonJS for Node, minified, license
 * comments at the end, `external` left as require() calls. Refuses to write a bundle that contains
 * `root`'s absolute path. Prints the size.
 */
export async function bundleLambda({ root, entry, outfile, target = 'node20', external = [] }) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target,
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    charset: 'utf8',
    external,
    metafile: true,
    write: false,
    logLevel: 'warning',
  });
  const [output] = result.outputFiles;
  const code = Buffer.concat([Buffer.from(output.contents), Buffer.from(licenseFooter(result.metafile, root, external))]);
  for (const fragment of [root, root.replace(/\\/g, '/')]) {
    if (code.includes(fragment)) throw new Error(`bundle contains an absolute path (${fragment})`);
  }
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileSync(outfile, code);
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`${relative(process.cwd(), outfile) || outfile}: ${code.length} bytes (${kb(code.length)}, ${kb(gzipSync(code).length)} gzipped)`);
  return code;
}
