// `npx tsx bench/call-graph.ts`: time of the call-graph check (`ServiceCallGraph.report()`) on
// layered graphs as plain data (no App synthesis): N services in `hops + 1` layers, each service
// calling `fanout` services of the next layer, so every path from the first layer is a chain of
// `hops` hops and the number of paths grows as fanout^hops. About one service in seven retries once
// (2 attempts), so paths cross the amplification limit (10) and the report has violations to find;
// every tenth service has an API (an entry in the middle of the chains).
//
// Each size runs in a fresh Node process with a capped heap (BENCH_HEAP_MIB, default 2048) and a
// time limit (BENCH_TIMEOUT_S, default 60): a check that does not finish is reported as such.
// Prints one JSON line per size, then the whole list.
//
//   BENCH_SIZES=100,300 BENCH_HOPS=25 BENCH_FANOUT=2 npx tsx bench/call-graph.ts
//   BENCH_CALL_GRAPH_MODULE=/path/to/other/call-graph.ts   another build of the check, to compare
import { spawnSync } from 'child_process';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { Duration } from 'aws-cdk-lib';
import { RootConstruct } from 'constructs';
import type { CallGraphNode, ServiceCallGraph } from '../lib/mesh/call-graph';
import { random } from './random';

const SIZES = (process.env.BENCH_SIZES ?? '100,300').split(',').map(Number);
const HOPS = Number(process.env.BENCH_HOPS ?? 25);
const FANOUT = Number(process.env.BENCH_FANOUT ?? 2);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const HEAP_MIB = Number(process.env.BENCH_HEAP_MIB ?? 2048);
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT_S ?? 60);
const MODULE = process.env.BENCH_CALL_GRAPH_MODULE ?? path.join(__dirname, '..', 'lib', 'mesh', 'call-graph');

interface Figures {
  readonly services: number; readonly hops: number; readonly fanout: number; readonly calls?: number;
  readonly firstMs?: number; readonly medianMs?: number; readonly heapUsedMiB?: number;
  readonly paths?: number; readonly violations?: number; readonly warnings?: number;
  readonly finished: boolean; readonly why?: string;
}


/** The layered graph, registered on a fresh graph. */
function build(services: number, hops: number, fanout: number): { graph: ServiceCallGraph; calls: number } {
  const { ServiceCallGraph: Graph } = require(MODULE) as { ServiceCallGraph: typeof ServiceCallGraph };
  const graph = Graph.of(new RootConstruct());
  const rnd = random(services * 1000 + hops);
  const layers = hops + 1;
  const layerOf = (k: number) => k % layers;
  const byLayer: string[][] = Array.from({ length: layers }, () => []);
  for (let k = 0; k < services; k++) {
    const l = layerOf(k);
    const p = `S${k}`;
    byLayer[l].push(p);
    const attempts = rnd() < 1 / 7 ? 2 : 1;
    const requestTimeout = (layers - l + 1) * 1000;
    const node: CallGraphNode = {
      path: p,
      name: `s${k}`,
      attempts,
      perRetryTimeout: attempts > 1 ? Duration.millis(requestTimeout / attempts) : undefined,
      requestTimeout: Duration.millis(requestTimeout),
      apiTimeout: k % 10 === 0 ? Duration.millis(requestTimeout + 1000) : undefined,
      retriesEnforced: attempts > 1 ? 'as described: up to 1 retry' : 'none (RetryPolicy.none())',
    };
    graph._addService(p, () => node);
  }
  let calls = 0;
  for (let l = 0; l < layers - 1; l++) {
    for (const caller of byLayer[l]) {
      const next = [...byLayer[l + 1]];
      for (let i = 0; i < Math.min(fanout, next.length); i++) {
        const [callee] = next.splice(Math.floor(rnd() * next.length), 1);
        graph._addCall(caller, callee);
        calls += 1;
      }
    }
  }
  return { graph, calls };
}

/** One size, in this process. */
function measure(services: number): Figures {
  const times: number[] = [];
  let last: ReturnType<ServiceCallGraph['report']> | undefined;
  let calls = 0;
  for (let i = 0; i < RUNS; i++) {
    const built = build(services, HOPS, FANOUT);
    calls = built.calls;
    const t0 = performance.now();
    last = built.graph.report();
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    services, hops: HOPS, fanout: FANOUT, calls,
    firstMs: Math.round(times[0] * 10) / 10,
    medianMs: Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10,
    heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 1024 / 1024),
    paths: last!.paths.length, violations: last!.violations.length, warnings: last!.warnings.length,
    finished: true,
  };
}

if (process.argv[2] === '--one') {
  process.stdout.write(`${JSON.stringify(measure(Number(process.argv[3])))}\n`);
} else {
  const all: Figures[] = [];
  for (const services of SIZES) {
    const run = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MIB}`, '--import', 'tsx', __filename, '--one', String(services)], {
      cwd: path.join(__dirname, '..'), env: process.env, encoding: 'utf8', timeout: TIMEOUT_S * 1000, maxBuffer: 16 * 1024 * 1024,
    });
    const line = run.stdout?.trim().split('\n').pop();
    const figures: Figures = run.status === 0 && line
      ? JSON.parse(line)
      : {
        services, hops: HOPS, fanout: FANOUT, finished: false,
        why: run.error?.message.includes('ETIMEDOUT') || run.signal === 'SIGTERM' ? `no result within ${TIMEOUT_S} s`
          : /heap out of memory/i.test(run.stderr ?? '') ? `heap of ${HEAP_MIB} MiB exhausted`
            : `exit ${run.status ?? run.signal}: ${(run.stderr ?? '').trim().split('\n').slice(-1)[0]}`,
      };
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    all.push(figures);
  }
  process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
}
