// Every ```ts snippet of README.md compiles (`npm test` type-checks test/readme/snippets/ first)
// and runs: the snippet's app synthesizes.
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StrictControlTowerChecks } from './guard';
import { unacknowledgedFindings } from './nag';

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

describe('the quick start (the first snippet), as a new user runs it: `new App()`, no cdk.json', () => {
  const load = (): App => {
    let app: App | undefined;
    jest.isolateModules(() => { app = require(path.join(dir, files[0])).app; });
    return app!;
  };

  test('passes AwsSolutions and Control Tower with no unacknowledged finding', () => {
    const app = load();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new StrictControlTowerChecks());
    expect(unacknowledgedFindings(app)).toEqual([]);
  });

  test('references the platform without a CloudFormation export, whatever the flags', () => {
    const app = load();
    const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c));
    const json = stacks.map((s) => JSON.stringify(Template.fromStack(s).toJSON())).join('');
    expect(json).not.toContain('Fn::ImportValue');
    expect(json).not.toContain('"Export"');
    expect(json).toContain('Fn::GetStackOutput');
  });
});
