// README.md's "Start a new app", followed as written in an empty folder: its ```bash blocks run
// line by line, each where the previous one left off (`cd` included), and each other block is a
// file, named by its first line (`// lib/my-app.ts`), written there when the walk reaches it. One
// word differs from the README: `cdk-microservice` in the `npm install` line, not on the npm
// registry yet, becomes the path of a tarball packed from this working tree. `npx cdk synth` and
// `npx jest` must pass, the latter writing a snapshot of each stack. Needs the npm registry (cdk
// init and the installs), like jsii.test.ts.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cleanEnv, packLibrary } from './pack';

const ROOT = path.join(__dirname, '..', '..');
const SECTION = 'Start a new app';

type Step =
  | { readonly kind: 'command'; readonly command: string; readonly readme: string }
  | { readonly kind: 'file'; readonly file: string; readonly content: string };

/** The section's steps in the README's order: shell lines to run, files to write. */
function stepsOf(readme: string): Step[] {
  const start = readme.indexOf(`\n## ${SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${SECTION}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const steps: Step[] = [];
  for (const [, info, body] of section.matchAll(/^```([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm)) {
    if (/^(bash|sh|shell|console)\b/.test(info)) {
      for (const line of body.split('\n')) {
        if (line.trim() === '' || line.trim().startsWith('#')) continue;
        steps.push({ kind: 'command', command: line, readme: line });
      }
    } else {
      const name = /^\/\/ (\S+)\n/.exec(body);
      if (!name) throw new Error(`a \`\`\`${info} block of "${SECTION}" names no file on its first line (// <path>):\n${body}`);
      if (path.isAbsolute(name[1]) || name[1].split('/').includes('..')) throw new Error(`"${SECTION}" names a file outside the app: ${name[1]}`);
      steps.push({ kind: 'file', file: name[1], content: body });
    }
  }
  return steps;
}

/** The one change to the README's commands: the library from the tarball, not the registry. */
function withTarball(steps: Step[], tarball: string): Step[] {
  let replaced = 0;
  const out = steps.map((s) => {
    if (s.kind !== 'command' || !/^npm (install|i|add)\s/.test(s.command)) return s;
    const command = s.command.replace(/(?<=\s)cdk-microservice(?=\s|$)/g, () => { replaced++; return tarball; });
    return { ...s, command };
  });
  if (replaced !== 1) throw new Error(`expected one \`npm install ... cdk-microservice ...\` in "${SECTION}", found ${replaced}`);
  return out;
}

interface Ran { readonly readme: string; readonly status: number | null; readonly output: string; readonly seconds: number }

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'new-app-'));
const folder = path.join(tmp, 'empty');
// A user's shell: no npm_* settings, PATH or NODE_ENV of this repository's test run; not CI, where
// jest would refuse to write the snapshots a first run writes.
const env = cleanEnv();
delete env.CI;
const ran: Ran[] = [];
let cwd = folder;
let packSeconds = 0;

/** Runs one line in bash where the previous one left off; returns false when it failed. */
function run(command: string, readme: string): boolean {
  const cwdFile = path.join(tmp, 'cwd');
  const started = Date.now();
  const r = spawnSync('bash', ['-c', `${command}\n__status=$?; pwd > '${cwdFile}'; exit $__status`], { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  ran.push({ readme, status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`, seconds: (Date.now() - started) / 1000 });
  if (fs.existsSync(cwdFile)) cwd = fs.readFileSync(cwdFile, 'utf8').trim();
  return r.status === 0;
}

const find = (readme: RegExp) => ran.find((r) => readme.test(r.readme));
const failed = () => ran.filter((r) => r.status !== 0).map((r) => `$ ${r.readme}\n(exit ${r.status})\n${r.output.split('\n').slice(-40).join('\n')}`);

beforeAll(() => {
  const steps = stepsOf(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  const started = Date.now();
  const tarball = packLibrary(path.join(tmp, 'pack'));
  packSeconds = (Date.now() - started) / 1000;
  fs.mkdirSync(folder);
  for (const step of withTarball(steps, tarball)) {
    if (step.kind === 'file') {
      fs.mkdirSync(path.dirname(path.join(cwd, step.file)), { recursive: true });
      fs.writeFileSync(path.join(cwd, step.file), step.content);
    } else if (!run(step.command, step.readme)) {
      break;
    }
  }
  console.log([`packed in ${packSeconds.toFixed(0)} s`, ...ran.map((r) => `${r.seconds.toFixed(0).padStart(4)} s  ${r.readme}`)].join('\n'));
}, 900_000);

// rm -rf: fs.rmSync took 45 s over the app's node_modules here, rm under a second.
afterAll(() => spawnSync('rm', ['-rf', tmp]));

test('the section has the commands and the files of a new app', () => {
  const steps = stepsOf(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  const commands = steps.flatMap((s) => (s.kind === 'command' ? [s.command] : []));
  const files = steps.flatMap((s) => (s.kind === 'file' ? [s.file] : []));
  expect(commands).toEqual(expect.arrayContaining([expect.stringMatching(/^npx (--yes )?aws-cdk@2 init app --language typescript\b/), expect.stringMatching(/^npx cdk synth\b/), expect.stringMatching(/^npx jest\b/)]));
  expect(files).toEqual(expect.arrayContaining([expect.stringMatching(/^bin\//), expect.stringMatching(/^test\/.*\.test\.ts$/)]));
});

test('every command of the section runs in an empty folder (the tarball for cdk-microservice)', () => {
  expect(failed()).toEqual([]);
  expect(ran.length).toBeGreaterThanOrEqual(6);
});

test('cdk init\'s cdk.json states the weak cross-stack references the quick start asks for', () => {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(cwd, 'cdk.json'), 'utf8'));
  expect(cdkJson.context['@aws-cdk/core:defaultCrossStackReferences']).toBe('weak');
});

test('npx cdk synth exits 0 and writes the quick start\'s two stacks', () => {
  const synth = find(/^npx cdk synth\b/);
  expect(synth?.status).toBe(0);
  expect(fs.readdirSync(path.join(cwd, 'cdk.out')).filter((f) => f.endsWith('.template.json')).sort()).toEqual(['Orders.template.json', 'Platform.template.json']);
});

test('npx jest passes and writes a snapshot of each stack', () => {
  const jest = find(/^npx jest\b/);
  expect(jest?.status).toBe(0);
  expect(jest?.output).toMatch(/Tests:\s+\d+ passed, \d+ total/);
  expect(jest?.output).toMatch(/Snapshots:\s+2 written, 2 total/);
  const snapshots = fs.readdirSync(path.join(cwd, 'test', '__snapshots__')).map((f) => fs.readFileSync(path.join(cwd, 'test', '__snapshots__', f), 'utf8')).join('');
  expect(snapshots).toContain('"AWS::ECS::Service"');
  expect(snapshots).toContain('"AWS::EC2::VPC"');
});

test('the app runs the 2.x CLI and an aws-cdk-lib the library admits', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(cwd, 'package.json'), 'utf8'));
  const version = (name: string) => JSON.parse(fs.readFileSync(path.join(cwd, 'node_modules', name, 'package.json'), 'utf8')).version as string;
  expect(pkg.devDependencies['aws-cdk']).toMatch(/^\D*2\./);
  expect(version('aws-cdk')).toMatch(/^2\./);
  const [major, minor] = version('aws-cdk-lib').split('.').map(Number);
  const floor = Number(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).peerDependencies['aws-cdk-lib'].split('.')[1]);
  expect(major).toBe(2);
  expect(minor).toBeGreaterThanOrEqual(floor);
  expect(pkg.dependencies['cdk-microservice']).toMatch(/\.tgz$/);
});
