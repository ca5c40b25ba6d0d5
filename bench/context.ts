import * as fs from 'fs';
import * as path from 'path';

/** The feature flags of cdk.json, so the bench synthesizes what `cdk synth` would. */
export const CDK_CONTEXT_FOR_BENCH: { [key: string]: unknown } = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'),
).context;
