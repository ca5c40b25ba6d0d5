import { Duration } from 'aws-cdk-lib';
import type { ConnectionPool, OutlierDetection } from './resilience';
import type { RetryPolicy } from './retry-policy';

// Envoy's static bootstrap for one caller, from its callees' descriptions, in the proto3 JSON form
// Envoy's --config-yaml reads (field names as in Envoy's v3 API, durations as "1.5s"). Fields and
// meanings: Envoy's API reference (envoy.config.bootstrap.v3.Bootstrap, listener, route, cluster).

/** A backend as its caller's sidecar reaches it. */
export interface EnvoyBackend {
  /** Envoy's cluster name: the callee's discovery name (no dots, so stats keep it whole). */
  readonly name: string;
  /** Its Cloud Map DNS name, `<name>.<namespace>`: A records of its tasks. */
  readonly host: string;
  readonly port: number;
  /** HTTP/2 to the tasks (gRPC and HTTP2 services). */
  readonly http2: boolean;
  readonly retryPolicy: RetryPolicy;
  readonly requestTimeout: Duration;
  readonly idleTimeout?: Duration;
  readonly outlierDetection?: OutlierDetection;
  readonly connectionPool?: ConnectionPool;
}

/** One local listener: the app's way to one callee, and how its requests are split. */
export interface EnvoyEgress {
  readonly port: number;
  /** The callee, whose description sets the route's retries and timeouts. */
  readonly callee: EnvoyBackend;
  /** The callee's canary and its share of requests, 1 to 99. */
  readonly canary?: { readonly backend: EnvoyBackend; readonly percent: number };
}

/** Everything the bootstrap needs besides the egresses. */
export interface EnvoyBootstrapSettings {
  /** The caller's discovery name. */
  readonly caller: string;
  /** The ECS cluster name, carried in access-log lines for the metric filters' dimensions. */
  readonly clusterName: string;
  readonly adminPort: number;
  readonly connectTimeout: Duration;
  readonly budgetPercent: number;
  readonly minRetryConcurrency: number;
  readonly backoffBase: Duration;
  readonly backoffMax: Duration;
  readonly accessLogs: boolean;
}

/** App Mesh's HTTP retry events in Envoy's `retry_on` terms (App Mesh: server-error and gateway-error include resets). */
const HTTP_RETRY_ON: { [event: string]: string[] } = {
  'server-error': ['5xx', 'reset'],
  'gateway-error': ['gateway-error', 'reset'],
  'client-error': ['retriable-4xx'],
  'stream-error': ['refused-stream'],
};
const TCP_RETRY_ON: { [event: string]: string[] } = { 'connection-error': ['connect-failure'] };

/** The retry conditions of a policy, as Envoy's comma-separated `retry_on`. */
export function retryOn(p: RetryPolicy): string {
  const conditions = [
    ...p.httpRetryEvents.flatMap((e) => HTTP_RETRY_ON[e]),
    ...p.tcpRetryEvents.flatMap((e) => TCP_RETRY_ON[e]),
    ...p.grpcRetryEvents, // Envoy's gRPC conditions carry App Mesh's names
  ];
  return [...new Set(conditions)].join(',');
}

/** `Duration` as proto3 JSON (`"1.5s"`). */
export function protoDuration(d: Duration): string {
  const ms = d.toMilliseconds();
  return `${ms / 1000}s`;
}

/**
 * The access-log line: JSON written as text, so the duration stays a number whatever Envoy's
 * typed-JSON rules (the metric filters read it); only fields that never hold a quote, and those that
 * may be "-" (no upstream attempt) quoted.
 */
function accessLogFormat(s: EnvoyBootstrapSettings): string {
  return `{"start":"%START_TIME%","caller":"${s.caller}","cluster":"${s.clusterName}","backend":"%UPSTREAM_CLUSTER%",`
    + '"method":"%REQ(:METHOD)%","status":%RESPONSE_CODE%,"flags":"%RESPONSE_FLAGS%","attempts":"%UPSTREAM_REQUEST_ATTEMPT_COUNT%",'
    + '"duration":%DURATION%,"received":%BYTES_RECEIVED%,"sent":%BYTES_SENT%,"upstream":"%UPSTREAM_HOST%"}\n';
}

function route(e: EnvoyEgress, s: EnvoyBootstrapSettings): { [key: string]: unknown } {
  const c = e.callee;
  const p = c.retryPolicy;
  return {
    name: c.name,
    match: { prefix: '/' },
    route: {
      ...(e.canary
        ? { weighted_clusters: { clusters: [{ name: c.name, weight: 100 - e.canary.percent }, { name: e.canary.backend.name, weight: e.canary.percent }] } }
        : { cluster: c.name }),
      // The route timeout covers every attempt (Envoy's router: it includes retries).
      timeout: protoDuration(c.requestTimeout),
      ...(c.idleTimeout ? { idle_timeout: protoDuration(c.idleTimeout) } : {}),
      auto_host_rewrite: true,
      ...(p.maxRetries > 0 ? {
        retry_policy: {
          retry_on: retryOn(p),
          num_retries: p.maxRetries,
          per_try_timeout: protoDuration(p.perRetryTimeout!),
          retry_back_off: { base_interval: protoDuration(s.backoffBase), max_interval: protoDuration(s.backoffMax) },
          // A retry goes to another task than the ones that failed.
          retry_host_predicate: [{
            name: 'envoy.retry_host_predicates.previous_hosts',
            typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' },
          }],
          host_selection_retry_max_attempts: 3,
        },
      } : {}),
    },
  };
}

function listener(e: EnvoyEgress, s: EnvoyBootstrapSettings): { [key: string]: unknown } {
  const name = e.callee.name;
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: e.port } },
    filter_chains: [{
      filters: [{
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          stat_prefix: name,
          // HTTP/1.1 or HTTP/2 with prior knowledge (gRPC) from the app, whichever it speaks.
          codec_type: 'AUTO',
          route_config: { name, virtual_hosts: [{ name, domains: ['*'], routes: [route(e, s)] }] },
          http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
          ...(s.accessLogs ? {
            access_log: [{
              name: 'envoy.access_loggers.stdout',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
                log_format: { text_format_source: { inline_string: accessLogFormat(s) } },
              },
            }],
          } : {}),
        },
      }],
    }],
  };
}

function cluster(b: EnvoyBackend, s: EnvoyBootstrapSettings): { [key: string]: unknown } {
  const pool = b.connectionPool;
  const o = b.outlierDetection;
  return {
    name: b.name,
    type: 'STRICT_DNS',
    connect_timeout: protoDuration(s.connectTimeout),
    lb_policy: 'ROUND_ROBIN',
    // Every A record of the callee's Cloud Map service is an endpoint, re-resolved at the record's
    // TTL (10 s): new tasks join, stopped ones leave.
    dns_lookup_family: 'V4_ONLY',
    respect_dns_ttl: true,
    dns_refresh_rate: '10s',
    load_assignment: {
      cluster_name: b.name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: b.host, port_value: b.port } } } }] }],
    },
    // The bulkhead and the retry budget; the budget overrides the retry circuit breaker.
    circuit_breakers: {
      thresholds: [{
        priority: 'DEFAULT',
        ...(pool?.maxConnections !== undefined ? { max_connections: pool.maxConnections } : {}),
        ...(pool?.maxPendingRequests !== undefined ? { max_pending_requests: pool.maxPendingRequests } : {}),
        ...(pool?.maxRequests !== undefined ? { max_requests: pool.maxRequests } : {}),
        retry_budget: { budget_percent: { value: s.budgetPercent }, min_retry_concurrency: s.minRetryConcurrency },
      }],
    },
    // The circuit breaker.
    ...(o ? {
      outlier_detection: {
        consecutive_5xx: o.maxServerErrors,
        interval: protoDuration(o.interval),
        base_ejection_time: protoDuration(o.baseEjectionDuration),
        max_ejection_percent: o.maxEjectionPercent,
      },
    } : {}),
    ...(b.http2 ? {
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          explicit_http_config: { http2_protocol_options: {} },
        },
      },
    } : {}),
  };
}

/** The whole bootstrap of one caller's sidecar. */
export function envoyBootstrap(egresses: EnvoyEgress[], s: EnvoyBootstrapSettings): { [key: string]: unknown } {
  const backends = new Map<string, EnvoyBackend>();
  for (const e of egresses) {
    backends.set(e.callee.name, e.callee);
    if (e.canary) backends.set(e.canary.backend.name, e.canary.backend);
  }
  return {
    node: { id: s.caller, cluster: s.caller },
    // Admin (statistics, readiness) on localhost only: nothing outside the task reaches it.
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: s.adminPort } } },
    static_resources: {
      listeners: egresses.map((e) => listener(e, s)),
      clusters: [...backends.values()].map((b) => cluster(b, s)),
    },
  };
}
