import { Annotations, Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { descriptionOf } from './contract-description';
import { EnvoyBackend, protoDuration, retryOn } from './envoy-bootstrap';
import { RetryPolicy } from './retry-policy';
import type { ServiceContract } from '../private/contract';
import type { MeshService, ServiceConnection } from '../private/feature';
import { PropErrors } from '../private/validation';

/**
 * The most A records a caller's sidecar resolves for a callee: Cloud Map's MULTIVALUE routing
 * answers a DNS query with up to eight healthy records (AWS Cloud Map API reference, DnsConfig,
 * RoutingPolicy: "Route 53 returns the applicable value for up to eight instances").
 */
export const MAX_DNS_ENDPOINTS = 8;

/**
 * What a caller's sidecar needs of a callee: a service of this app, or one of another app as its
 * contract describes it.
 */
export interface EnvoyCallee extends MeshService {
  readonly backend: EnvoyBackend;
  /** Its construct path, or `<platform>/<name>` for a service of another app. */
  readonly path: string;
  readonly canary?: { readonly service: EnvoyCallee; readonly percent: number };
  /** A caller's sidecar now resolves it. */
  resolved(): void;
}

/** The retry settings every sidecar of a platform applies, with each callee's policy. */
export interface EnvoyRetrySettings {
  readonly backoffBase: Duration;
  readonly backoffMax: Duration;
  readonly budgetPercent: number;
  readonly minRetryConcurrency: number;
}

/** How a caller's sidecar applies `p` within `requestTimeout`, for the call-graph report. */
export function envoyRetriesEnforced(p: RetryPolicy, requestTimeout: Duration, o: EnvoyRetrySettings): string {
  return p.maxRetries === 0
    ? 'none (RetryPolicy.none())'
    : `as described: up to ${p.maxRetries} ${p.maxRetries === 1 ? 'retry' : 'retries'} on ${retryOn(p)}, ${protoDuration(p.perRetryTimeout!)} each, to another task, `
      + `jittered back-off ${protoDuration(o.backoffBase)} to ${protoDuration(o.backoffMax)}, within the ${protoDuration(requestTimeout)} request timeout, `
      + `capped by a retry budget of ${o.budgetPercent} % of the requests in flight (at least ${o.minRetryConcurrency})`;
}

/**
 * A service of another app on the same Envoy platform, as its contract describes it: callers'
 * sidecars apply its retry policy, timeouts, outlier detection and connection pool, and resolve it
 * by its Cloud Map name. It never calls anything from here.
 */
export class ContractEnvoyCallee implements EnvoyCallee {
  public readonly endpoint: string;
  public readonly requestTimeout: Duration;
  public readonly ingressPorts: number[];
  public readonly faultTarget: { readonly ports: number[]; readonly hosts: string[] };
  public readonly backend: EnvoyBackend;
  public readonly path: string;
  public readonly retriesEnforced: string;
  private warned = false;

  constructor(private readonly scope: Construct, private readonly contract: ServiceContract, namespaceName: string, settings: EnvoyRetrySettings) {
    const d = descriptionOf(contract);
    const host = `${contract.serviceName}.${namespaceName}`;
    this.path = `${contract.platformName}/${contract.serviceName}`;
    this.endpoint = `http://${host}:${contract.port}`;
    this.requestTimeout = d.requestTimeout;
    this.ingressPorts = [contract.port];
    this.faultTarget = { ports: [contract.port], hosts: [host] };
    this.backend = {
      name: contract.serviceName, host, port: contract.port, http2: contract.protocol !== 'http',
      retryPolicy: d.retryPolicy, requestTimeout: d.requestTimeout, idleTimeout: d.idleTimeout,
      outlierDetection: d.outlierDetection, connectionPool: d.connectionPool,
    };
    this.retriesEnforced = envoyRetriesEnforced(d.retryPolicy, d.requestTimeout, settings);
  }

  public resolved(): void {
    if (this.warned || this.contract.maxCapacity <= MAX_DNS_ENDPOINTS) return;
    this.warned = true;
    Annotations.of(this.scope).addWarningV2('cdk-microservice:envoyDnsEndpoints',
      `${this.path} scales to ${this.contract.maxCapacity} tasks (its contract's maxCapacity), but each caller's Envoy sidecar sees at most ${MAX_DNS_ENDPOINTS} of them: `
      + 'Cloud Map answers a DNS query with up to 8 healthy records (see docs/service-to-service.md)');
  }

  public connect(): ServiceConnection {
    return refuse(this.path, 'connectTo is for a service of this app calling another; a service of another app calls from its own app');
  }

  public routeCanary(): void {
    refuse(this.path, 'routeCanary is for a service of this app; a canary of a service of another app is routed from that app');
  }
}

function refuse(path: string, why: string): never {
  const errors = new PropErrors(`Microservice.fromServiceName() '${path}'`);
  errors.add(why);
  errors.throwIfAny();
  throw new Error('unreachable');
}
