// Every ```ts snippet of README.md compiles (`npm test` type-checks test/readme/snippets/ first)
// and runs: the snippet's app synthesizes.
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';

const dir = path.join(__dirname, 'readme', 'snippets');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort() : [];

test('README has snippets, extracted by scripts/readme-snippets.js', () => {
  expect(files.length).toBeGreaterThanOrEqual(3);
});

describe.each(files)('README %s', (file) => {
  test('runs and its app synthesizes at least one stack', () => {
    jest.isolateModules(() => {
      const mod = require(path.join(dir, file));
      if (mod.app === undefined) return; // a snippet that only declares helpers
      const app = mod.app as App;
      const assembly = app.synth();
      expect(app.node.children.some((c) => Stack.isStack(c))).toBe(true);
      expect(assembly.stacks.length).toBeGreaterThan(0);
    });
  });
});
