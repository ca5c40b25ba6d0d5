// Bundles the image mirror (lambda/image-mirror/index.ts, a CloudFormation custom resource handler)
// into assets/image-mirror/index.js, the single file the ImageMirror construct deploys. The AWS SDK
// for JavaScript v3 (@aws-sdk/*) comes with the Lambda Node.js runtime and stays out of the bundle.
//
//   node scripts/bundle-image-mirror.mjs [--outfile <path>]
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLambda, parseOutfileArgs } from './bundle-lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { outfile } = parseOutfileArgs(process.argv.slice(2), join(root, 'assets', 'image-mirror', 'index.js'), 'bundle-image-mirror.mjs');
await bundleLambda({
  root,
  entry: 'lambda/image-mirror/index.ts',
  outfile,
  target: 'node24',
  external: ['@aws-sdk/*'],
});
