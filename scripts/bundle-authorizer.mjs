// Bundles the JWT authorizer (lambda/jwt-authorizer/index.ts) into assets/jwt-authorizer/index.js,
// the single file the library deploys with lambda.Code.fromAsset (scripts/bundle-lib.mjs: committed,
// so reproducible; the bundled packages' licenses at its end).
//
//   node scripts/bundle-authorizer.mjs [--outfile <path>]
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLambda, parseOutfileArgs } from './bundle-lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { outfile } = parseOutfileArgs(process.argv.slice(2), join(root, 'assets', 'jwt-authorizer', 'index.js'), 'bundle-authorizer.mjs');
await bundleLambda({ root, entry: 'lambda/jwt-authorizer/index.ts', outfile });
