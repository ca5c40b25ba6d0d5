import { Duration } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { depthFirst, firstCrossings, worstBelow } from '../private/graph-walk';

/** A service as the call-graph check sees it. */
export interface CallGraphNode {
  /** Construct path of the service. */
  readonly path: string;
  /** Its discovery name. */
  readonly name: string;
  /** Attempts a caller makes per request to it: maxRetries + 1. */
  readonly attempts: number;
  /**
   * Timeout of each attempt, when it has a retry policy.
   *
   * @default - none: no retry policy, or one without a per-try timeout
   */
  readonly perRetryTimeout?: Duration;
  /** How long a request into it may take. */
  readonly requestTimeout: Duration;
  /**
   * The integration timeout of its API, when it has one.
   *
   * @default - none: the service has no API
   */
  readonly apiTimeout?: Duration;
  /**
   * How the data plane applies its retry policy to its callers.
   *
   * @default - as the policy says
   */
  readonly retriesEnforced?: string;
}

/** One violation of the call-graph rules. */
export interface CallGraphViolation {
  /** 'amplification', 'timeout-budget', 'api-timeout-budget', 'cycle', or (a warning) 'async-cycle'. */
  readonly kind: string;
  /** The services of the path, by construct path, in call order. */
  readonly path: string[];
  /** What is wrong and how to fix it, as the synth error says it. */
  readonly message: string;
}

/**
 * One call path, from an entry (a service no other service calls, or one with an API) to a leaf:
 * the worst path through one of the entry's callees.
 */
export interface CallGraphPath {
  /** Discovery names, in call order; the first is 'api' when the path enters through an API. */
  readonly services: string[];
  /** Worst-case requests the last service receives per request into the first: the product of attempts. */
  readonly amplification: number;
  /** For each hop, `<callee>: <the retries the data plane applies>`. */
  readonly retriesEnforced: string[];
}

/** One asynchronous edge: a service that subscribes to a topic another publishes. */
export interface CallGraphAsyncCall {
  /** Construct path of the publisher. */
  readonly publisher: string;
  /** Construct path of the subscriber. */
  readonly subscriber: string;
  /** The topic's name. */
  readonly topic: string;
  /** Receives of one message before it goes to the dead-letter queue: how often the subscriber may process it. */
  readonly maxReceiveCount: number;
  /**
   * Worst-case requests one message becomes at the end of the subscriber's own call paths:
   * maxReceiveCount times the largest amplification of a path that starts at the subscriber.
   */
  readonly amplification: number;
}

/** One service of the call graph, as {@link ServiceCallGraph.report} gives it. */
export interface CallGraphService {
  /** The construct path of the service. */
  readonly path: string;
  /** Its discovery name. */
  readonly name: string;
  /** Attempts per request its callers make: 1 + its retry policy's retries. */
  readonly attempts: number;
  /**
   * The retry policy's per-try timeout, in milliseconds, when it has one.
   *
   * @default - none
   */
  readonly perRetryTimeoutMs?: number;
  /** The timeout of one request to it, in milliseconds. */
  readonly requestTimeoutMs: number;
  /**
   * Its API's integration timeout, in milliseconds, when it has an API.
   *
   * @default - none: no API
   */
  readonly apiTimeoutMs?: number;
  /**
   * Why its retries are not what its policy says (the mesh's own retries), when so.
   *
   * @default - as the policy says
   */
  readonly retriesEnforced?: string;
}

/** One `connectTo` edge of the call graph. */
export interface CallGraphCall {
  /** The caller's construct path. */
  readonly caller: string;
  /** The callee's construct path. */
  readonly callee: string;
}

/** The result of {@link ServiceCallGraph.report}. */
export interface CallGraphReport {
  /** The largest amplification allowed on a path (`maxAmplification`, or the context value). */
  readonly maxAmplification: number;
  /** Every service of the app, in the order they were defined. */
  readonly services: CallGraphService[];
  /** Every `connectTo` edge. */
  readonly calls: CallGraphCall[];
  /** Every subscription edge (publisher to subscriber), with its redelivery amplification. */
  readonly asyncCalls: CallGraphAsyncCall[];
  /**
   * The worst call paths, with their amplification: for each entry (a service no other service
   * calls, or one with an API), the worst path from it through each of its callees, worst first, at
   * most 5 per entry. Not every path: their number grows exponentially with the depth of the graph.
   */
  readonly paths: CallGraphPath[];
  /**
   * What fails synthesis: timeout budgets (every call that breaks one), cycles (one per call that
   * closes a cycle in a depth-first walk, each set of services once), amplification (for each
   * entry, each call where a path from it first crosses the limit, worst first, at most 5 per entry).
   */
  readonly violations: CallGraphViolation[];
  /** Findings that do not fail synthesis: cycles of subscriptions ('async-cycle'), one per subscription that closes one. */
  readonly warnings: CallGraphViolation[];
}

/** Context key of the amplification limit. */
export const MAX_AMPLIFICATION_CONTEXT = 'cdk-microservice:maxRetryAmplification';
const DEFAULT_MAX_AMPLIFICATION = 10;
/** Paths reported per entry service, and amplification violations per entry service. */
const REPORTED_PER_ENTRY = 5;
const GRAPHS = new WeakMap<IConstruct, ServiceCallGraph>();

/**
 * Every service of an app and who calls whom (`connectTo`). Checks, at synth, the worst-case retry
 * amplification along each path (each hop multiplies attempts by the callee's maxRetries + 1) and
 * the timeout budgets (a caller's request timeout must cover the callee's (maxRetries + 1) x
 * perRetryTimeout, or its request timeout without retries; an API's integration timeout must cover
 * its service's request timeout). Violations fail `cdk synth` with the path named.
 *
 * The check is linear in the size of the graph (times the number of entry services for the
 * amplification): one depth-first walk finds the cycles and leaves a DAG, the worst amplification
 * below each service is memoized over it, and the reported paths are rebuilt from the memo, so a
 * graph of hundreds of services with long chains is checked in milliseconds whatever its number of
 * paths.
 */
export class ServiceCallGraph {
  /** The context key of the amplification limit (`cdk.json` or `--context`). */
  public static readonly MAX_AMPLIFICATION_CONTEXT: string = MAX_AMPLIFICATION_CONTEXT;

  /** The graph of the app that contains `scope`. */
  public static of(scope: IConstruct): ServiceCallGraph {
    const root = scope.node.root;
    let graph = GRAPHS.get(root);
    if (!graph) {
      graph = new ServiceCallGraph(root);
      GRAPHS.set(root, graph);
    }
    return graph;
  }

  /**
   * Most requests a path may amplify one request into. Default 10, or the context value
   * `cdk-microservice:maxRetryAmplification`.
   */
  public maxAmplification: number;

  private readonly nodes = new Map<string, () => CallGraphNode>();
  private readonly edges = new Map<string, Set<string>>();
  private readonly asyncEdges: Array<{ readonly publisher: string; readonly subscriber: string; readonly topic: string; readonly maxReceiveCount: number }> = [];
  private cached?: { key: string; report: CallGraphReport };

  private constructor(root: IConstruct) {
    const fromContext = root.node.tryGetContext(MAX_AMPLIFICATION_CONTEXT);
    this.maxAmplification = fromContext !== undefined ? Number(fromContext) : DEFAULT_MAX_AMPLIFICATION;
  }

  /**
   * Registers a service; `describe` is read at synth, when every prop is final.
   *
   * @internal
   */
  public _addService(path: string, describe: () => CallGraphNode): void {
    this.nodes.set(path, describe);
    if (!this.edges.has(path)) this.edges.set(path, new Set());
  }

  /**
   * Records that `caller` calls `callee`.
   *
   * @internal
   */
  public _addCall(caller: string, callee: string): void {
    if (!this.edges.has(caller)) this.edges.set(caller, new Set());
    this.edges.get(caller)!.add(callee);
  }

  /**
   * Records that `subscriber` consumes a topic of `publisher`.
   *
   * @internal
   */
  public _addAsyncCall(publisher: string, subscriber: string, topic: string, maxReceiveCount: number): void {
    this.asyncEdges.push({ publisher, subscriber, topic, maxReceiveCount });
  }

  /** The whole graph as data: services, calls, paths with their amplification, and violations. */
  public report(): CallGraphReport {
    const nodes = new Map([...this.nodes].map(([k, f]) => [k, f()]));
    const max = this.maxAmplification;
    const violations: CallGraphViolation[] = [];
    const paths: CallGraphPath[] = [];
    const name = (p: string) => nodes.get(p)?.name ?? p;
    const label = (ps: string[]) => ps.map(name).join(' -> ');

    for (const [caller, callees] of this.edges) {
      const c = nodes.get(caller);
      if (!c) continue;
      for (const calleePath of callees) {
        const callee = nodes.get(calleePath);
        if (!callee) continue;
        const worst = callee.perRetryTimeout
          ? callee.perRetryTimeout.toMilliseconds() * callee.attempts
          : callee.requestTimeout.toMilliseconds();
        if (c.requestTimeout.toMilliseconds() < worst) {
          violations.push({
            kind: 'timeout-budget',
            path: [caller, calleePath],
            message: `${label([caller, calleePath])}: the caller's requestTimeout (${c.requestTimeout.toMilliseconds()} ms) does not cover the callee's `
              + (callee.perRetryTimeout
                ? `(maxRetries + 1) x perRetryTimeout = ${callee.attempts} x ${callee.perRetryTimeout.toMilliseconds()} ms = ${worst} ms`
                : `requestTimeout (${worst} ms)`)
              + ` (service ${caller} calls ${calleePath})`,
          });
        }
      }
    }
    for (const n of nodes.values()) {
      if (n.apiTimeout && n.apiTimeout.toMilliseconds() < n.requestTimeout.toMilliseconds()) {
        violations.push({
          kind: 'api-timeout-budget',
          path: [n.path],
          message: `api -> ${n.name}: the API's integration timeout (${n.apiTimeout.toMilliseconds()} ms) does not cover the service's requestTimeout (${n.requestTimeout.toMilliseconds()} ms) (service ${n.path})`,
        });
      }
    }

    const called = new Set([...this.edges.values()].flatMap((s) => [...s]));
    const starts = [...nodes.keys()].filter((p) => !called.has(p) || nodes.get(p)!.apiTimeout);
    const attempts = (p: string) => nodes.get(p)!.attempts;
    const next = (p: string) => [...(this.edges.get(p) ?? [])].filter((n) => nodes.has(n));
    // Services only reachable inside a cycle have no start: the walk goes on from them (they become entries).
    const walk = depthFirst([...starts, ...nodes.keys()], next);
    const seenCycles = new Set<string>();
    for (const cycle of walk.cycles) {
      const key = [...cycle].slice(0, -1).sort().join('|');
      if (seenCycles.has(key)) continue;
      seenCycles.add(key);
      violations.push({ kind: 'cycle', path: cycle, message: `${label(cycle)}: services call each other in a cycle, so retries amplify without bound` });
    }

    // The worst amplification below each service, memoized; paths are rebuilt from it, worst callee by worst callee.
    const below = worstBelow(walk, attempts);
    for (const entry of [...starts, ...walk.roots.filter((r) => !starts.includes(r))]) {
      const firstHops = walk.dag.get(entry)!.map((n) => ({ n, amplification: attempts(n) * below.value.get(n)! }));
      for (const { n, amplification } of firstHops.sort((a, b) => b.amplification - a.amplification).slice(0, REPORTED_PER_ENTRY)) {
        const path = [entry, n];
        for (let m = below.via.get(n); m !== undefined; m = below.via.get(m)) path.push(m);
        paths.push({
          services: [...(nodes.get(entry)!.apiTimeout ? ['api'] : []), ...path.map(name)],
          amplification,
          retriesEnforced: path.slice(1).map((p) => `${name(p)}: ${nodes.get(p)!.retriesEnforced ?? 'unknown'}`),
        });
      }
      if (below.value.get(entry)! <= max) continue;
      const { crossings, total } = firstCrossings(entry, walk, attempts, max, REPORTED_PER_ENTRY);
      crossings.forEach(({ path, product }, i) => violations.push({
        kind: 'amplification',
        path,
        message: `${label(path)}: one request can become ${product} requests to ${name(path[path.length - 1])} (the product of (maxRetries + 1) along the path), above the limit of ${max} `
          + `(services ${path.join(', ')}; raise the limit with ServiceCallGraph.of(app).maxAmplification or the context value ${MAX_AMPLIFICATION_CONTEXT})`
          + (i === crossings.length - 1 && total > crossings.length ? `; paths from ${name(entry)} cross the limit at ${total - crossings.length} more calls, not listed` : ''),
      }));
    }

    // A message may be processed maxReceiveCount times, each time with the subscriber's own calls.
    const fromService = (p: string): number => below.value.get(p) ?? Math.max(1, ...next(p).map((n) => attempts(n) * below.value.get(n)!));
    const asyncCalls = this.asyncEdges.map((e) => ({ ...e, amplification: e.maxReceiveCount * fromService(e.subscriber) }));
    const warnings = asyncCycles(this.asyncEdges).map((cycle) => ({
      kind: 'async-cycle',
      path: cycle,
      message: cycle.length === 2
        ? `${label(cycle)}: the service subscribes to its own topic: a message can set off messages without end unless the handler stops it (service ${cycle[0]})`
        : `${label(cycle)}: services subscribe to each other's topics in a cycle: a message can set off messages without end unless the handlers stop it (services ${cycle.slice(0, -1).join(', ')})`,
    }));

    return {
      maxAmplification: max,
      services: [...nodes.values()].map((n) => ({
        path: n.path,
        name: n.name,
        attempts: n.attempts,
        perRetryTimeoutMs: n.perRetryTimeout?.toMilliseconds(),
        requestTimeoutMs: n.requestTimeout.toMilliseconds(),
        apiTimeoutMs: n.apiTimeout?.toMilliseconds(),
        retriesEnforced: n.retriesEnforced,
      })),
      calls: [...this.edges].flatMap(([caller, callees]) => [...callees].map((callee) => ({ caller, callee }))),
      asyncCalls,
      paths,
      violations,
      warnings,
    };
  }

  /**
   * The warnings whose path starts at `servicePath`.
   *
   * @internal
   */
  public _warningsOf(servicePath: string): string[] {
    return this.cachedReport().warnings.filter((w) => w.path[0] === servicePath).map((w) => w.message);
  }

  /** The report of the graph as it is now, computed once per state: every service asks at synth. */
  private cachedReport(): CallGraphReport {
    const key = `${this.maxAmplification}|${[...this.nodes.keys()].join(',')}|${[...this.edges].map(([k, v]) => `${k}>${[...v].join('+')}`).join(',')}`
      + `|${this.asyncEdges.map((e) => `${e.publisher}>${e.subscriber}:${e.topic}:${e.maxReceiveCount}`).join(',')}`;
    if (this.cached?.key !== key) this.cached = { key, report: this.report() };
    return this.cached.report;
  }

  /**
   * The violations whose path starts at `servicePath` (each is reported by its first service).
   *
   * @internal
   */
  public _violationsOf(servicePath: string): string[] {
    return this.cachedReport().violations.filter((v) => v.path[0] === servicePath).map((v) => v.message);
  }
}

/** Cycles of publisher -> subscriber edges, each once, starting at its first service in path order. */
function asyncCycles(edges: ReadonlyArray<{ readonly publisher: string; readonly subscriber: string }>): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.publisher)) next.set(e.publisher, new Set());
    next.get(e.publisher)!.add(e.subscriber);
  }
  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const closed of depthFirst(next.keys(), (p) => next.get(p) ?? []).cycles) {
    const cycle = closed.slice(0, -1);
    const start = [...cycle].sort()[0];
    const rotated = [...cycle.slice(cycle.indexOf(start)), ...cycle.slice(0, cycle.indexOf(start)), start];
    const key = rotated.join('>');
    if (!seen.has(key)) { seen.add(key); cycles.push(rotated); }
  }
  return cycles;
}
