// Bundles the JWT authorizer (lambda/jwt-authorizer/index.ts) into assets/jwt-authorizer/index.js,
// the single file the library deploys with lambda.Code.fromAsset. The bundle is committed, so it
// must be reproducible: no source map, no absolute paths, the same bytes on every machine for the
// same lockfile. Licenses of the bundled packages are listed at the end of the file.
//
//   node scripts/bundle-authorizer.mjs [--outfile <path>]
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  let outfile = join(root, 'assets', 'jwt-authorizer', 'index.js');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--outfile' && argv[i + 1]) outfile = resolve(argv[++i]);
    else if (argv[i].startsWith('--outfile=')) outfile = resolve(argv[i].slice('--outfile='.length));
    else throw new Error(`unknown argument: ${argv[i]} (usage: bundle-authorizer.mjs [--outfile <path>])`);
  }
  return { outfile };
}

/** `/*! ... *\/` naming each bundled package with its version and license, in a stable order. */
function licenseFooter(metafile) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (!m || packages.has(m[2])) continue;
    const pkg = JSON.parse(readFileSync(join(root, m[1], 'package.json'), 'utf8'));
    packages.set(m[2], `${pkg.name}@${pkg.version} (${pkg.license ?? 'see package'})`);
  }
  if (packages.size === 0) return '';
  const lines = [...packages.keys()].sort().map((name) => ` * ${packages.get(name)}`);
  return `/*! Bundled third-party packages:\n${lines.join('\n')}\n */\n`;
}

const { outfile } = parseArgs(process.argv.slice(2));
const result = await build({
  absWorkingDir: root,
  entryPoints: ['lambda/jwt-authorizer/index.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: false,
  legalComments: 'eof',
  charset: 'utf8',
  metafile: true,
  write: false,
  logLevel: 'warning',
});

const [output] = result.outputFiles;
const code = Buffer.concat([Buffer.from(output.contents), Buffer.from(licenseFooter(result.metafile))]);
for (const fragment of [root, root.replace(/\\/g, '/')]) {
  if (code.includes(fragment)) throw new Error(`bundle contains an absolute path (${fragment})`);
}
mkdirSync(dirname(outfile), { recursive: true });
writeFileSync(outfile, code);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`${relative(process.cwd(), outfile) || outfile}: ${code.length} bytes (${kb(code.length)}, ${kb(gzipSync(code).length)} gzipped)`);
