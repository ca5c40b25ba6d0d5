// The package as other languages see it: the library compiles with jsii, its assembly holds the
// whole public API (what TypeScript exports as functions or constants has a class home), every
// public type, property and method is documented and every optional prop names its default,
// API.md is the reference jsii-docgen writes from this assembly, and the Python, Java, .NET and
// Go code jsii-pacmak generates offline is produced (the Python code also compiles). Last, the
// packed tarball installs into a new app on the oldest aws-cdk-lib the peer dependency admits and
// every example synthesizes there (scripts/floor-check.sh; it installs from the npm registry).
// One file, so that the build, the packing and the checks never run at once.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
const ENV = { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '1', JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1' };
const run = (cmd: string, args: string[], cwd = ROOT) => execFileSync(cmd, args, { cwd, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** What `lib/index.ts` exports that jsii cannot carry, and where it lives in the assembly. */
const CLASS_HOMES: { [tsName: string]: string } = {
  normalizeTemplate: 'MicroserviceTesting.normalizeStack',
  strictValidation: 'MicroserviceTesting.strictValidation',
  MAX_AMPLIFICATION_CONTEXT: 'ServiceCallGraph.MAX_AMPLIFICATION_CONTEXT',
  APP_MESH_END_OF_LIFE: 'ServiceMesh.APP_MESH_END_OF_LIFE',
  DEFAULT_ENVOY_VERSION: 'ServiceMesh.DEFAULT_ENVOY_VERSION',
};

let buildOutput = '';
let assembly: any;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jsii-'));

beforeAll(() => {
  // The package's own build command (package.json "build" runs the same after bundling).
  const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;
  const jsiiArgs = scripts.build.split('&& jsii ')[1].split(' ');
  const build = spawnSync(bin('jsii'), jsiiArgs, { cwd: ROOT, env: ENV, encoding: 'utf8' });
  buildOutput = `${build.stdout}${build.stderr}`;
  if (build.status !== 0) throw new Error(`jsii failed:\n${buildOutput}`);
  assembly = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii'), 'utf8'));
}, 180_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('compiles with jsii without an error or an unsilenced warning', () => {
  // Silenced, each for a reason: reserved-word (`public` and `namespace` props, which the
  // generated code renames in C# and Java); missing-dev-dependency (the library builds and tests
  // on the aws-cdk-lib of its devDependencies; scripts/floor-check.sh checks the peer floor).
  expect(buildOutput).toMatch(/Errors: 0 \| Warnings: 0 \(\+\d+ silenced\)/);
});

test('the assembly holds every name lib/index.ts exports, or its class home', () => {
  const src = fs.readFileSync(path.join(ROOT, 'lib', 'index.ts'), 'utf8');
  const exported = [...src.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((n) => n.trim()).filter(Boolean));
  expect(exported.length).toBeGreaterThan(80);
  const missing: string[] = [];
  for (const name of exported) {
    const home = CLASS_HOMES[name];
    if (!home) {
      if (!assembly.types[`cdk-microservice.${name}`]) missing.push(name);
      continue;
    }
    const [cls, member] = home.split('.');
    const type = assembly.types[`cdk-microservice.${cls}`];
    const members = [...type?.methods ?? [], ...type?.properties ?? []].filter((m: any) => m.static);
    if (!members.some((m: any) => m.name === member)) missing.push(`${name} (as ${home})`);
  }
  expect(missing).toEqual([]);
});

test('documents every public type, property and method, and the default of every optional prop', () => {
  const gaps: string[] = [];
  for (const [fqn, t] of Object.entries<any>(assembly.types)) {
    if (!t.docs?.summary) gaps.push(fqn);
    for (const p of t.properties ?? []) {
      if (!p.docs?.summary) gaps.push(`${fqn}#${p.name}`);
      if (t.datatype && p.optional && p.docs?.default === undefined) gaps.push(`${fqn}#${p.name} (no @default)`);
    }
    for (const m of t.methods ?? []) if (!m.docs?.summary) gaps.push(`${fqn}.${m.name}()`);
  }
  expect(Object.keys(assembly.types).length).toBeGreaterThan(80);
  expect(gaps).toEqual([]);
});

test('API.md is the reference jsii-docgen writes from the assembly (npm run docgen)', () => {
  const out = path.join(tmp, 'API.md');
  run(bin('jsii-docgen'), ['-o', out]);
  const current = fs.readFileSync(path.join(ROOT, 'API.md'), 'utf8');
  const fresh = fs.readFileSync(out, 'utf8');
  if (current !== fresh) throw new Error('API.md is out of date: run `npm run build && npm run docgen` and commit API.md');
  expect(fresh).toContain('### Microservice ');
}, 120_000);

test('jsii-pacmak generates Python, Java, .NET and Go code offline, and the Python code compiles', () => {
  const out = path.join(tmp, 'pacmak');
  run(bin('jsii-pacmak'), ['--code-only', '--outdir', out, '--pack-command', 'npm pack --ignore-scripts']);
  expect(fs.readdirSync(out).sort()).toEqual(expect.arrayContaining(['dotnet', 'go', 'java', 'python']));
  const init = path.join(out, 'python', 'src', 'cdk_microservice', '__init__.py');
  expect(fs.readFileSync(init, 'utf8')).toMatch(/^class Microservice\(/m);
  // py_compile of every generated module: a syntax error fails the test.
  run('python3', ['-m', 'compileall', '-q', path.join(out, 'python', 'src')]);
}, 180_000);

test('the tarball installs on the aws-cdk-lib floor and every example synthesizes there (scripts/floor-check.sh)', () => {
  const tarball = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', tmp]).trim().split('\n').pop()!;
  const out = run('bash', [path.join(ROOT, 'scripts', 'floor-check.sh'), path.join(tmp, tarball)]);
  const floor = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).peerDependencies['aws-cdk-lib'].replace(/^[\^~]/, '');
  expect(out).toContain(`aws-cdk-lib ${floor},`);
  const examples = fs.readdirSync(path.join(ROOT, 'examples'));
  for (const e of examples) {
    const dir = path.join(ROOT, 'examples', e);
    const apps = fs.existsSync(path.join(dir, 'app.ts')) ? ['app.ts'] : fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
    for (const app of apps) expect(out).toContain(`floor ${floor}: examples/${e}/${app} synthesizes`);
  }
  expect(out).toContain(`floor ${floor}: bin/main.ts synthesizes`);
  expect(out).not.toContain('FAILED');
}, 600_000);
