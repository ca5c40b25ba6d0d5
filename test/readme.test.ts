// Every ```ts snippet of README.md and docs/*.md compiles (`npm test` type-checks
// test/readme/snippets/ first) and runs: the snippet's app synthesizes. The README's quick start passes
// the checks it promises, and every relative link of the documentation resolves.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StrictControlTowerChecks } from './guard';
import { Finding, unacknowledgedFindings } from './nag';

// docs/security.md's snippet adds CfnGuardValidator itself: here it runs the rule files that can report
// on the snippet's templates only (test/guard-rules.ts), which report what every rule reports (checked
// in examples.test.ts), in a fifth of the time.
jest.mock('@cdklabs/cdk-validator-cfnguard', () => {
  const actual = jest.requireActual<typeof import('@cdklabs/cdk-validator-cfnguard')>('@cdklabs/cdk-validator-cfnguard');
  const { withApplicableRulesOnly } = jest.requireActual<typeof import('./guard-rules')>('./guard-rules');
  return { ...actual, CfnGuardValidator: withApplicableRulesOnly(actual.CfnGuardValidator) };
});

const root = path.join(__dirname, '..');
const dir = path.join(__dirname, 'readme', 'snippets');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort() : [];
/** The README's snippets in order (`snippet-NN.ts`); the docs' are `docs-<page>-NN.ts`. */
const readmeFiles = files.filter((f) => f.startsWith('snippet-'));
/** The README's first snippet: the quick start. */
const quickStart = readmeFiles[0];

test('README.md and docs/*.md have their snippets, extracted by scripts/readme-snippets.js', () => {
  expect(readmeFiles.length).toBeGreaterThanOrEqual(1);
  expect(files.length - readmeFiles.length).toBeGreaterThanOrEqual(18);
  expect(files.length).toBeGreaterThanOrEqual(19);
  expect(fs.readFileSync(path.join(dir, quickStart), 'utf8')).toMatch(/^\/\/ README\.md line \d+\n/);
});

/**
 * The quick start's app with AwsSolutions and Control Tower added, synthesized once: its snippet test
 * and the two quick-start tests below read this one synthesis (a snippet module is loaded once, so
 * its `app` is one app; the checks must be added before its first synthesis).
 */
let checkedQuickStart: { app: App; findings: Finding[] } | undefined;
function quickStartApp(): { app: App; findings: Finding[] } {
  if (checkedQuickStart === undefined) {
    const app = require(path.join(dir, quickStart)).app as App;
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new StrictControlTowerChecks());
    checkedQuickStart = { app, findings: unacknowledgedFindings(app) };
  }
  return checkedQuickStart;
}

// Each snippet is its own module, loaded once in this file's module registry (no per-snippet
// isolation: reloading aws-cdk-lib and the library for every snippet cost a second each).
describe.each(files)('snippet %s', (file) => {
  test('runs and its app synthesizes at least one stack', () => {
    const app = (file === quickStart ? quickStartApp() : require(path.join(dir, file))).app as App | undefined;
    if (app === undefined) return; // a snippet that only declares helpers
    const assembly = app.synth();
    expect(app.node.children.some((c) => Stack.isStack(c))).toBe(true);
    expect(assembly.stacks.length).toBeGreaterThan(0);
  });
});

describe('the quick start (the README\'s first snippet), as a new user runs it: `new App()`, no cdk.json', () => {
  test('passes AwsSolutions and Control Tower with no unacknowledged finding', () => {
    expect(quickStartApp().findings).toEqual([]);
  });

  test('references the platform without a CloudFormation export, whatever the flags', () => {
    const { app } = quickStartApp();
    const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c));
    const json = stacks.map((s) => JSON.stringify(Template.fromStack(s).toJSON())).join('');
    expect(json).not.toContain('Fn::ImportValue');
    expect(json).not.toContain('"Export"');
    expect(json).toContain('Fn::GetStackOutput');
  });
});

// Links: every relative link of the documentation names a file that exists and, with `#anchor`, a
// heading of that file (GitHub's anchors: lower case, punctuation dropped, spaces to hyphens).
const DOCS = ['README.md', 'CONTRIBUTING.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

/** The file's lines outside fenced code blocks. */
function prose(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (/^\s*```/.test(line)) { fenced = !fenced; return false; }
    return !fenced;
  });
}

function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of prose(fs.readFileSync(file, 'utf8'))) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** `[text](target)` links outside code, with the line they are on. */
function linksOf(file: string): Array<{ line: number; target: string }> {
  const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
  const out: Array<{ line: number; target: string }> = [];
  let fenced = false;
  lines.forEach((raw, i) => {
    if (/^\s*```/.test(raw)) { fenced = !fenced; return; }
    if (fenced) return;
    const line = raw.replace(/(`+)[\s\S]*?\1/g, '``');
    for (const m of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push({ line: i + 1, target: m[1] });
  });
  return out;
}

test('every relative link of README.md, CONTRIBUTING.md and docs/*.md resolves', () => {
  const broken: string[] = [];
  let checked = 0;
  for (const file of DOCS) {
    for (const { line, target } of linksOf(file)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      checked++;
      const [p, anchor] = target.split('#');
      const resolved = p === '' ? path.join(root, file) : path.resolve(path.dirname(path.join(root, file)), decodeURI(p));
      if (!fs.existsSync(resolved)) broken.push(`${file}:${line}: ${target} (no such file)`);
      else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) {
        broken.push(`${file}:${line}: ${target} (no such heading)`);
      }
    }
  }
  expect(broken).toEqual([]);
  expect(checked).toBeGreaterThan(30);
});

test('every relative link of what the package ships (README.md, docs/) names a file it ships', () => {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));
  const shipped = new Set<string>(pack.files.map((f: { path: string }) => f.path));
  const missing: string[] = [];
  for (const file of DOCS.filter((f) => shipped.has(f))) {
    for (const { line, target } of linksOf(file)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
      const p = path.relative(root, path.resolve(path.dirname(path.join(root, file)), decodeURI(target.split('#')[0])));
      if (!shipped.has(p) && ![...shipped].some((s) => s.startsWith(`${p}/`))) missing.push(`${file}:${line}: ${target}`);
    }
  }
  expect(shipped.has('README.md')).toBe(true);
  expect(missing).toEqual([]);
});

test('the README links every page of docs/ and stays short', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const linked = new Set(linksOf('README.md').map((l) => l.target.split('#')[0]));
  expect(DOCS.filter((f) => f.startsWith('docs/') && !linked.has(f))).toEqual([]);
  expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(30_000);
});
