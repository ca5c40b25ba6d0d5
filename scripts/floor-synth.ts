// Synthesizes one example (`<file> <build function>`) in an app with the repository's cdk.json
// context, as `cdk synth` would; used by scripts/floor-check.sh on the oldest supported aws-cdk-lib.
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';

const [file, fn, cdkJson] = process.argv.slice(2);
const context = JSON.parse(fs.readFileSync(cdkJson, 'utf8')).context;
const app = new App({ context });
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(path.resolve(file))[fn](app);
const assembly = app.synth();
console.log(`${assembly.stacks.length} stacks: ${assembly.stacks.map((s) => s.stackName).join(', ')}`);
