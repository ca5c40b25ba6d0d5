import { App, Duration, Stack } from 'aws-cdk-lib';
import { RootConstruct } from 'constructs';
import { MAX_AMPLIFICATION_CONTEXT, Microservice, MicroservicePlatform, RetryPolicy, ServiceCallGraph, ServiceMesh } from '../../lib';
import type { CallGraphReport } from '../../lib';
import { CDK_CONTEXT, IMAGE } from '../util';
import { random } from '../../bench/random';

interface Hop { readonly timeout: number; readonly retries?: number; readonly perTry?: number; readonly api?: number }

/** A chain gateway -> orders -> payments, one stack each, on an Envoy platform (which enforces the described retries). */
function chain(hops: [Hop, Hop, Hop], context: object = {}): { app: App; services: Microservice[] } {
  const app = new App({ context: { ...CDK_CONTEXT, ...context } });
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh: ServiceMesh.envoy() });
  const services = ['Gateway', 'Orders', 'Payments'].map((name, i) => new Microservice(new Stack(app, name), name, {
    platform,
    image: IMAGE,
    requestTimeout: Duration.millis(hops[i].timeout),
    retryPolicy: hops[i].retries ? RetryPolicy.http({ maxRetries: hops[i].retries, perRetryTimeout: Duration.millis(hops[i].perTry!) }) : undefined,
    api: hops[i].api ? { timeout: Duration.millis(hops[i].api!), routes: [{ path: '/x', public: true }] } : undefined,
  }));
  services[0].connectTo(services[1]);
  services[1].connectTo(services[2]);
  return { app, services };
}

describe('the call-graph check on a three-service chain', () => {
  test('passes good budgets and reports the path and its amplification', () => {
    const { app } = chain([
      { timeout: 10000, api: 12000 },
      { timeout: 6000, retries: 1, perTry: 4000 },
      { timeout: 2000, retries: 2, perTry: 1500 },
    ]);
    expect(() => app.synth()).not.toThrow();
    const report = ServiceCallGraph.of(app).report();
    expect(report.violations).toEqual([]);
    const budget = 'capped by a retry budget of 20 % of the requests in flight (at least 3)';
    expect(report.paths).toEqual([{
      services: ['api', 'gateway', 'orders', 'payments'],
      amplification: 6,
      retriesEnforced: [
        `orders: as described: up to 1 retry on 5xx,reset,gateway-error,connect-failure, 4s each, to another task, jittered back-off 0.025s to 0.25s, within the 6s request timeout, ${budget}`,
        `payments: as described: up to 2 retries on 5xx,reset,gateway-error,connect-failure, 1.5s each, to another task, jittered back-off 0.025s to 0.25s, within the 2s request timeout, ${budget}`,
      ],
    }]);
    expect(report.calls).toEqual([{ caller: 'Gateway/Gateway', callee: 'Orders/Orders' }, { caller: 'Orders/Orders', callee: 'Payments/Payments' }]);
    expect(report.services.find((s) => s.name === 'payments')).toMatchObject({ path: 'Payments/Payments', name: 'payments', attempts: 3, perRetryTimeoutMs: 1500, requestTimeoutMs: 2000, apiTimeoutMs: undefined });
    expect(report.maxAmplification).toBe(10);
  });

  test("fails when a caller's timeout does not cover the callee's retries, naming the path", () => {
    const { app } = chain([
      { timeout: 10000 },
      { timeout: 3000, retries: 1, perTry: 2000 },
      { timeout: 2000, retries: 2, perTry: 1500 },
    ]);
    expect(() => app.synth()).toThrow(/\[Orders\/Orders\] orders -> payments: the caller's requestTimeout \(3000 ms\) does not cover the callee's \(maxRetries \+ 1\) x perRetryTimeout = 3 x 1500 ms = 4500 ms/);
  });

  test("fails when a caller's timeout is shorter than a callee's without retries", () => {
    const { app } = chain([{ timeout: 1000 }, { timeout: 5000 }, { timeout: 1000 }]);
    expect(() => app.synth()).toThrow(/gateway -> orders: the caller's requestTimeout \(1000 ms\) does not cover the callee's requestTimeout \(5000 ms\)/);
  });

  test("fails when the API's timeout does not cover the first service", () => {
    const { app } = chain([{ timeout: 10000, api: 5000 }, { timeout: 1000 }, { timeout: 1000 }]);
    expect(() => app.synth()).toThrow(/api -> gateway: the API's integration timeout \(5000 ms\) does not cover the service's requestTimeout \(10000 ms\)/);
  });

  test('fails when retries amplify one request above the limit, naming the whole path', () => {
    const { app } = chain([
      { timeout: 60000 },
      { timeout: 30000, retries: 3, perTry: 5000 },
      { timeout: 5000, retries: 3, perTry: 1000 },
    ]);
    expect(() => app.synth()).toThrow(/gateway -> orders -> payments: one request can become 16 requests to payments .* above the limit of 10/);
  });

  test('the limit is configurable through context or the graph', () => {
    const hops: [Hop, Hop, Hop] = [{ timeout: 60000 }, { timeout: 30000, retries: 3, perTry: 5000 }, { timeout: 5000, retries: 3, perTry: 1000 }];
    expect(() => chain(hops, { [MAX_AMPLIFICATION_CONTEXT]: 16 }).app.synth()).not.toThrow();
    const { app } = chain(hops);
    ServiceCallGraph.of(app).maxAmplification = 20;
    expect(() => app.synth()).not.toThrow();
    expect(ServiceCallGraph.of(app).report().paths[0].amplification).toBe(16);
  });

  test('fails on a call cycle (within one stack; across stacks CDK already refuses the cyclic stack dependency)', () => {
    const app = new App({ context: CDK_CONTEXT });
    const stack = new Stack(app, 'One');
    const [a, b, c] = ['A', 'B', 'C'].map((n) => new Microservice(stack, n, { image: IMAGE, requestTimeout: Duration.seconds(5) }));
    a.connectTo(b);
    b.connectTo(c);
    c.connectTo(a);
    expect(() => app.synth()).toThrow(/a -> b -> c -> a: services call each other in a cycle, so retries amplify without bound/);
  });

  test('checks the same description on Service Connect', () => {
    const app = new App({ context: CDK_CONTEXT });
    const platform = new MicroservicePlatform(new Stack(app, 'P'), 'P');
    const a = new Microservice(new Stack(app, 'A'), 'A', { platform, image: IMAGE, requestTimeout: Duration.seconds(2) });
    const b = new Microservice(new Stack(app, 'B'), 'B', { platform, image: IMAGE, requestTimeout: Duration.seconds(5), retryPolicy: RetryPolicy.http({ maxRetries: 1, perRetryTimeout: Duration.seconds(2) }) });
    a.connectTo(b);
    expect(() => app.synth()).toThrow(/a -> b: the caller's requestTimeout \(2000 ms\) does not cover the callee's \(maxRetries \+ 1\) x perRetryTimeout = 2 x 2000 ms = 4000 ms/);
    expect(ServiceCallGraph.of(app).report().services.find((x) => x.name === 'b')!.retriesEnforced)
      .toBe("Service Connect's own: 2 retries on connection failure or 503 (containers-roadmap #1963), whatever retryPolicy says");
  });
});

// ---------------------------------------------------------------------------------------------
// Graphs as plain data: the check is dynamic programming over the graph, its report bounded
// ---------------------------------------------------------------------------------------------

/** A graph as data: each service's attempts, whether it has an API, and the calls (caller, callee) by index. */
interface GraphData { readonly attempts: number[]; readonly api: boolean[]; readonly calls: Array<[number, number]> }


/** The graph of `data` without an app: equal timeouts everywhere, so only amplification and cycles can fail. */
function graphOf(data: GraphData, max = 10): ServiceCallGraph {
  const graph = ServiceCallGraph.of(new RootConstruct());
  graph.maxAmplification = max;
  data.attempts.forEach((attempts, i) => graph._addService(`S${i}`, () => ({
    path: `S${i}`, name: `s${i}`, attempts, requestTimeout: Duration.seconds(60), apiTimeout: data.api[i] ? Duration.seconds(60) : undefined,
  })));
  for (const [a, b] of data.calls) graph._addCall(`S${a}`, `S${b}`);
  // One subscription per service, once each: asyncCalls then state every service's worst amplification below it.
  data.attempts.forEach((_, i) => graph._addAsyncCall('Publisher', `S${i}`, 'topic', 1));
  return graph;
}

/** A random DAG of `n` services (edges follow a random ranking, not the definition order). */
function randomDag(rnd: () => number, n: number): GraphData {
  const rank = Array.from({ length: n }, (_, i) => i).sort(() => rnd() - 0.5);
  const calls: Array<[number, number]> = [];
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (rank[a] < rank[b] && rnd() < 0.4) calls.push([a, b]);
  return { attempts: Array.from({ length: n }, () => [1, 1, 2, 3, 4][Math.floor(rnd() * 5)]), api: Array.from({ length: n }, () => rnd() < 0.2), calls };
}

/** Brute force: every path from `from` to a leaf, enumerated. */
function allPaths(data: GraphData, from: number): number[][] {
  const next = data.calls.filter(([a]) => a === from).map(([, b]) => b);
  return next.length === 0 ? [[from]] : next.flatMap((n) => allPaths(data, n).map((p) => [from, ...p]));
}
const product = (data: GraphData, path: number[]) => path.slice(1).reduce((x, i) => x * data.attempts[i], 1);
const entriesOf = (data: GraphData) => data.attempts.map((_, i) => i).filter((i) => data.api[i] || !data.calls.some(([, b]) => b === i));

/**
 * Brute force: the calls where a path from `entry` first crosses `max` (caller, callee), each with
 * the most requests a crossing path brings, as the previous, path-by-path check found them.
 */
function bruteCrossings(data: GraphData, entry: number, max: number): Map<string, number> {
  const found = new Map<string, number>();
  for (const path of allPaths(data, entry)) {
    for (let i = 1; i < path.length; i++) {
      const before = product(data, path.slice(0, i));
      const after = before * data.attempts[path[i]];
      if (before <= max && after > max) found.set(`S${path[i - 1]}>S${path[i]}`, Math.max(found.get(`S${path[i - 1]}>S${path[i]}`) ?? 0, after));
    }
  }
  return found;
}

const amplificationOf = (v: { readonly message: string }) => Number(/one request can become (\d+) requests/.exec(v.message)![1]);

describe('the call-graph check as dynamic programming', () => {
  test('equals a brute-force computation on 200 random DAGs of 8 services (fixed seed)', () => {
    const rnd = random(22);
    let crossings = 0;
    for (let g = 0; g < 200; g++) {
      const data = randomDag(rnd, 8);
      const report = graphOf(data).report();
      const indexOf = (p: string) => Number(p.slice(1));
      // The worst amplification below every service.
      for (let i = 0; i < 8; i++) {
        const worst = Math.max(...allPaths(data, i).map((p) => product(data, p)));
        expect(report.asyncCalls.find((c) => c.subscriber === `S${i}`)!.amplification).toBe(worst);
      }
      expect(report.violations.filter((v) => v.kind !== 'amplification')).toEqual([]);
      for (const entry of entriesOf(data)) {
        // Paths: the worst through each first callee (at most 5, worst first), each a real path to a leaf.
        const reported = report.paths.filter((p) => p.services[0] === (data.api[entry] ? 'api' : `s${entry}`) && p.services[data.api[entry] ? 1 : 0] === `s${entry}`);
        const firstHops = data.calls.filter(([a]) => a === entry).map(([, b]) => b);
        expect(reported).toHaveLength(Math.min(5, firstHops.length));
        const worstVia = firstHops.map((b) => Math.max(...allPaths(data, b).map((p) => data.attempts[b] * product(data, p)))).sort((x, y) => y - x);
        expect(reported.map((p) => p.amplification)).toEqual(worstVia.slice(0, 5));
        for (const p of reported) {
          const path = p.services.filter((s) => s !== 'api').map((s) => Number(s.slice(1)));
          for (let i = 1; i < path.length; i++) expect(data.calls).toContainEqual([path[i - 1], path[i]]);
          expect(data.calls.some(([a]) => a === path[path.length - 1])).toBe(false);
          expect(product(data, path)).toBe(p.amplification);
        }
        // Amplification: each call where a path from the entry first crosses the limit, with its worst crossing.
        const expected = bruteCrossings(data, entry, 10);
        const found = report.violations.filter((v) => v.kind === 'amplification' && v.path[0] === `S${entry}`);
        expect(found).toHaveLength(Math.min(5, expected.size));
        crossings += found.length;
        expect(found.map(amplificationOf)).toEqual([...expected.values()].sort((x, y) => y - x).slice(0, 5));
        for (const v of found) {
          const path = v.path.map(indexOf);
          expect(expected.get(`${v.path[path.length - 2]}>${v.path[path.length - 1]}`)).toBe(amplificationOf(v));
          expect(product(data, path)).toBe(amplificationOf(v));
          expect(product(data, path.slice(0, -1))).toBeLessThanOrEqual(10);
        }
      }
    }
    expect(crossings).toBeGreaterThan(100);
  });

  test('reports a cycle exactly when there is one, each a closed path of calls (random graphs, fixed seed)', () => {
    const rnd = random(5);
    for (let g = 0; g < 200; g++) {
      const n = 6;
      const calls: Array<[number, number]> = [];
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (a !== b && rnd() < 0.2) calls.push([a, b]);
      const data: GraphData = { attempts: Array(n).fill(1), api: Array(n).fill(false), calls };
      const reaches = (from: number, to: number, seen = new Set<number>()): boolean => calls.some(([a, b]) => a === from
        && (b === to || (!seen.has(b) && (seen.add(b), reaches(b, to, seen)))));
      const cycles = graphOf(data).report().violations.filter((v) => v.kind === 'cycle');
      expect(cycles.length > 0).toBe(data.attempts.some((_, i) => reaches(i, i)));
      for (const c of cycles) {
        expect(c.path[0]).toBe(c.path[c.path.length - 1]);
        for (let i = 1; i < c.path.length; i++) expect(calls).toContainEqual([Number(c.path[i - 1].slice(1)), Number(c.path[i].slice(1))]);
        expect(c.message).toMatch(/services call each other in a cycle, so retries amplify without bound$/);
      }
    }
  });

  test('bounds the report of 300 services in 25-hop chains: at most 5 paths and 5 amplification violations per entry', () => {
    // 26 layers, each service calling 2 of the next: about 12 x 2^25 paths from the first layer alone.
    const rnd = random(300);
    const layers = 26;
    const n = 300;
    const layer = (i: number) => i % layers;
    const calls: Array<[number, number]> = [];
    for (let a = 0; a < n; a++) {
      const next = Array.from({ length: n }, (_, i) => i).filter((i) => layer(i) === layer(a) + 1);
      for (let k = 0; k < 2 && next.length > 0; k++) calls.push([a, next.splice(Math.floor(rnd() * next.length), 1)[0]]);
    }
    const data: GraphData = { attempts: Array.from({ length: n }, () => (rnd() < 1 / 7 ? 2 : 1)), api: Array.from({ length: n }, (_, i) => i % 10 === 0), calls };
    const report: CallGraphReport = graphOf(data).report();
    const entries = entriesOf(data);
    const outDegree = (i: number) => calls.filter(([a]) => a === i).length;
    expect(report.paths).toHaveLength(entries.reduce((sum, e) => sum + Math.min(5, outDegree(e)), 0));
    expect(report.paths).toHaveLength(112);
    const amplification = report.violations.filter((v) => v.kind === 'amplification');
    expect(amplification).toHaveLength(206);
    for (const e of entries) expect(amplification.filter((v) => v.path[0] === `S${e}`).length).toBeLessThanOrEqual(5);
    expect(report.violations.filter((v) => v.kind !== 'amplification')).toEqual([]);
    // Each reported path is a chain of calls to a leaf whose amplification is the product along it.
    for (const p of report.paths) {
      const path = p.services.filter((s) => s !== 'api').map((s) => Number(s.slice(1)));
      expect(layer(path[path.length - 1])).toBe(layers - 1);
      expect(product(data, path)).toBe(p.amplification);
    }
  });

  test('names how many more calls cross the limit than the 5 it lists for an entry', () => {
    // The entry calls 7 services with 11 attempts each: 7 calls cross the limit of 10.
    const data: GraphData = { attempts: [1, 11, 11, 11, 11, 11, 11, 11], api: Array(8).fill(false), calls: [1, 2, 3, 4, 5, 6, 7].map((b) => [0, b]) };
    const messages = graphOf(data).report().violations.map((v) => v.message);
    expect(messages).toHaveLength(5);
    expect(messages[0]).toMatch(/^s0 -> s1: one request can become 11 requests to s1 .* above the limit of 10/);
    expect(messages[4]).toMatch(/; paths from s0 cross the limit at 2 more calls, not listed$/);
    expect(messages.slice(0, 4).join()).not.toMatch(/more calls/);
  });

  test('checks a chain of 5000 services without recursion', () => {
    const n = 5000;
    const data: GraphData = { attempts: Array.from({ length: n }, (_, i) => (i === n - 1 ? 11 : 1)), api: Array(n).fill(false), calls: Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as [number, number]) };
    const report = graphOf(data).report();
    expect(report.paths).toHaveLength(1);
    expect(report.paths[0].services).toHaveLength(n);
    expect(report.violations.map((v) => v.path.length)).toEqual([n]);
    expect(amplificationOf(report.violations[0])).toBe(11);
  });
});
