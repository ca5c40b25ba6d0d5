// The shape of lib/: no import circles (type imports included), utilities shared only through
// private/, feature folders reaching into each other only through the public API, short files, and
// an index that exports the public API and nothing else.
import * as fs from 'fs';
import * as path from 'path';

const LIB = path.join(__dirname, '..', 'lib');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory()
    ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

interface Import { readonly from: string; readonly to: string; readonly names: string[]; readonly typeOnly: boolean }

/** Every relative import and re-export of a file, resolved to a file of lib/. */
function importsOf(file: string): Import[] {
  const src = fs.readFileSync(file, 'utf8');
  const out: Import[] = [];
  for (const m of src.matchAll(/^(?:import|export)\s+(type\s+)?([^;]*?)\s+from\s+'(\.[^']+)';/gms)) {
    const target = path.resolve(path.dirname(file), m[3]);
    const to = fs.existsSync(`${target}.ts`) ? `${target}.ts` : path.join(target, 'index.ts');
    const names = (m[2].match(/\{([^}]*)\}/)?.[1] ?? '').split(',').map((n) => n.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]).filter(Boolean);
    out.push({ from: file, to, names, typeOnly: m[1] !== undefined });
  }
  return out;
}

const rel = (f: string) => path.relative(LIB, f);
const folder = (f: string) => rel(f).split(path.sep)[0];
const all = files(LIB);
const graph = new Map(all.map((f) => [f, importsOf(f)]));

/** Every import circle among `nodes`, each as the list of its files. */
function circles(nodes: string[], edges: Map<string, Import[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (f: string, stack: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      found.push([...stack.slice(stack.indexOf(f)), f]);
      return;
    }
    state.set(f, 'open');
    for (const i of edges.get(f) ?? []) visit(i.to, [...stack, f]);
    state.set(f, 'done');
  };
  for (const f of nodes) visit(f, []);
  return found;
}

test('lib/ has no import circle, type-only imports included', () => {
  expect([...graph.values()].flat().length).toBeGreaterThan(150);
  expect(circles(all, graph).map((c) => c.map(rel).join(' -> '))).toEqual([]);
});

test('the circle check finds a circle made of a type-only import', () => {
  const dir = fs.mkdtempSync(path.join(require('os').tmpdir(), 'circle-'));
  fs.writeFileSync(path.join(dir, 'a.ts'), "import type {\n  B,\n} from './b';\nexport type A = B;\n");
  fs.writeFileSync(path.join(dir, 'b.ts'), "import { A } from './a';\nexport type B = A;\n");
  const nodes = [path.join(dir, 'a.ts'), path.join(dir, 'b.ts')];
  const edges = new Map(nodes.map((f) => [f, importsOf(f)]));
  expect(edges.get(nodes[0])![0]).toMatchObject({ to: nodes[1], names: ['B'], typeOnly: true });
  expect(circles(nodes, edges)).toEqual([[nodes[0], nodes[1], nodes[0]]]);
});

const INDEX = path.join(LIB, 'index.ts');
const publicNames = new Map<string, Set<string>>();
for (const i of graph.get(INDEX)!) publicNames.set(i.to, new Set([...(publicNames.get(i.to) ?? []), ...i.names]));

test('a feature folder imports from another only what the package exports (utilities live in private/)', () => {
  const offences: string[] = [];
  for (const [f, imports] of graph) {
    if (f === INDEX) continue;
    for (const i of imports) {
      const [a, b] = [folder(f), folder(i.to)];
      if (a === b || b === 'private') continue;
      if (a === 'private') {
        if (!i.typeOnly) offences.push(`${rel(f)} imports ${rel(i.to)} at run time: private/ imports only types from feature folders`);
        continue;
      }
      const exported = publicNames.get(i.to) ?? new Set();
      for (const n of i.names.filter((name) => !exported.has(name))) offences.push(`${rel(f)} imports ${n} from ${rel(i.to)}, which the package does not export`);
    }
  }
  expect(offences).toEqual([]);
});

test('no file of lib/ is longer than about 400 lines', () => {
  const long = all.map((f) => [rel(f), fs.readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 420);
  expect(long).toEqual([]);
});

test("Microservice's constructor composes named parts in at most about 60 lines", () => {
  const src = fs.readFileSync(path.join(LIB, 'service', 'microservice.ts'), 'utf8').split('\n');
  const start = src.findIndex((l) => l.startsWith('  constructor('));
  const end = src.findIndex((l, i) => i > start && l === '  }');
  expect(start).toBeGreaterThan(0);
  expect(end - start - 1).toBeLessThanOrEqual(60);
});

test('no code outside a strategy asks which kind of strategy it holds', () => {
  const switches = all.filter((f) => /\.kind\b/.test(fs.readFileSync(f, 'utf8'))).map(rel);
  expect(switches).toEqual([]);
});

test('the package exports its public API and nothing else', () => {
  // Type-only exports vanish at run time; the run-time exports are the classes, enums and functions.
  const exported = Object.keys(require('../lib')).sort();
  expect(exported).toEqual([
    'APP_MESH_END_OF_LIFE', 'AlarmActions', 'AlarmNaming', 'AlarmSeverity', 'ApiAuthorizer', 'ApiIntegration', 'CacheAuth', 'CacheEngine', 'DEFAULT_ENVOY_VERSION', 'FaultExperiment', 'FaultInjection', 'GrpcRetryEvent', 'HttpRetryEvent',
    'ImportedCache', 'ImportedMicroservice', 'JwtAuthorizerFunction', 'MAX_AMPLIFICATION_CONTEXT', 'Microservice', 'MicroserviceCache', 'MicroserviceHttpApi',
    'MicroservicePlatform', 'MicroserviceRestApi', 'MicroserviceTesting', 'NodeBasedCache', 'PlatformMonitoring', 'RetryPolicy', 'ServerlessCache', 'ServiceApiBase',
    'ServiceCache', 'ServiceCallGraph', 'ServiceFaultInjection', 'ServiceLogging', 'ServiceMesh', 'ServiceMonitoring', 'ServiceProtocol', 'ServiceSubscription', 'ServiceTopic', 'StageWebAcl', 'TcpRetryEvent', 'Tracing', 'normalizeTemplate', 'strictValidation',
  ]);
});
