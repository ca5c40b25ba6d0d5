import { Duration } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** A service as the call-graph check sees it. */
export interface CallGraphNode {
  /** Construct path of the service. */
  readonly path: string;
  /** Its discovery name. */
  readonly name: string;
  /** Attempts a caller makes per request to it: maxRetries + 1. */
  readonly attempts: number;
  /** Timeout of each attempt, when it has a retry policy. */
  readonly perRetryTimeout?: Duration;
  /** How long a request into it may take. */
  readonly requestTimeout: Duration;
  /** The integration timeout of its API, when it has one. */
  readonly apiTimeout?: Duration;
  /** How the data plane applies its retry policy to its callers. */
  readonly retriesEnforced?: string;
}

/** One violation of the call-graph rules. */
export interface CallGraphViolation {
  /** 'amplification', 'timeout-budget', 'api-timeout-budget' or 'cycle'. */
  readonly kind: string;
  /** The services of the path, by construct path, in call order. */
  readonly path: string[];
  readonly message: string;
}

/** One call path, from a service no other service calls (or one with an API) to a leaf. */
export interface CallGraphPath {
  /** Discovery names, in call order; the first is 'api' when the path enters through an API. */
  readonly services: string[];
  /** Worst-case requests the last service receives per request into the first: the product of attempts. */
  readonly amplification: number;
  /** For each hop, `<callee>: <the retries the data plane applies>`. */
  readonly retriesEnforced: string[];
}

/** The result of {@link ServiceCallGraph.report}. */
export interface CallGraphReport {
  readonly maxAmplification: number;
  readonly services: Array<{ readonly path: string; readonly name: string; readonly attempts: number; readonly perRetryTimeoutMs?: number; readonly requestTimeoutMs: number; readonly apiTimeoutMs?: number; readonly retriesEnforced?: string }>;
  readonly calls: Array<{ readonly caller: string; readonly callee: string }>;
  readonly paths: CallGraphPath[];
  readonly violations: CallGraphViolation[];
}

/** Context key of the amplification limit. */
export const MAX_AMPLIFICATION_CONTEXT = 'cdk-microservice:maxRetryAmplification';
const DEFAULT_MAX_AMPLIFICATION = 10;
const GRAPHS = new WeakMap<IConstruct, ServiceCallGraph>();

/**
 * Every service of an app and who calls whom (`connectTo`). Checks, at synth, the worst-case retry
 * amplification along each path (each hop multiplies attempts by the callee's maxRetries + 1) and
 * the timeout budgets (a caller's request timeout must cover the callee's (maxRetries + 1) x
 * perRetryTimeout, or its request timeout without retries; an API's integration timeout must cover
 * its service's request timeout). Violations fail `cdk synth` with the path named.
 */
export class ServiceCallGraph {
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
    const seenCycles = new Set<string>();
    const visited = new Set<string>();
    const walk = (path: string[], amplification: number) => {
      const last = path[path.length - 1];
      visited.add(last);
      const next = [...(this.edges.get(last) ?? [])].filter((p) => nodes.has(p));
      if (next.length === 0 && path.length > 1) {
        const entry = nodes.get(path[0])!.apiTimeout ? ['api'] : [];
        paths.push({
          services: [...entry, ...path.map(name)],
          amplification,
          retriesEnforced: path.slice(1).map((p) => `${name(p)}: ${nodes.get(p)!.retriesEnforced ?? 'unknown'}`),
        });
      }
      for (const n of next) {
        if (path.includes(n)) {
          const cycle = [...path.slice(path.indexOf(n)), n];
          const key = [...cycle].slice(0, -1).sort().join('|');
          if (!seenCycles.has(key)) {
            seenCycles.add(key);
            violations.push({ kind: 'cycle', path: cycle, message: `${label(cycle)}: services call each other in a cycle, so retries amplify without bound` });
          }
          continue;
        }
        const amp = amplification * nodes.get(n)!.attempts;
        if (amp > max && amplification <= max) {
          violations.push({
            kind: 'amplification',
            path: [...path, n],
            message: `${label([...path, n])}: one request can become ${amp} requests to ${name(n)} (the product of (maxRetries + 1) along the path), above the limit of ${max} `
              + `(services ${[...path, n].join(', ')}; raise the limit with ServiceCallGraph.of(app).maxAmplification or the context value ${MAX_AMPLIFICATION_CONTEXT})`,
          });
        }
        walk([...path, n], amp);
      }
    };
    for (const s of starts) walk([s], 1);
    // Services only reachable inside a cycle have no start: walk from them to find the cycle.
    for (const s of nodes.keys()) if (!visited.has(s)) walk([s], 1);

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
      paths,
      violations,
    };
  }

  /**
   * The violations whose path starts at `servicePath` (each is reported by its first service).
   *
   * @internal
   */
  public _violationsOf(servicePath: string): string[] {
    // Every service validates at synth: compute the report once per graph state.
    const key = `${this.maxAmplification}|${[...this.nodes.keys()].join(',')}|${[...this.edges].map(([k, v]) => `${k}>${[...v].join('+')}`).join(',')}`;
    if (this.cached?.key !== key) this.cached = { key, report: this.report() };
    return this.cached.report.violations.filter((v) => v.path[0] === servicePath).map((v) => v.message);
  }
}
