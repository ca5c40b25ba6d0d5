import { checkEnvoyBootstrap, loadEnvoyProtos } from './envoy-proto';

const ANY = 'type.googleapis.com/';

/** A realistic sidecar bootstrap: admin, one listener with HCM + router, one HTTP/2 STRICT_DNS cluster. */
function validBootstrap(): any {
  return {
    node: { id: 'payments-sidecar', cluster: 'payments' },
    admin: {
      address: { socket_address: { address: '127.0.0.1', port_value: 9901 } },
      access_log: [{ name: 'envoy.access_loggers.stdout', typed_config: { '@type': `${ANY}envoy.extensions.access_loggers.stream.v3.StdoutAccessLog` } }],
    },
    static_resources: {
      listeners: [{
        name: 'egress',
        address: { socket_address: { address: '127.0.0.1', port_value: 15001 } },
        filter_chains: [{
          filters: [{
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': `${ANY}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
              stat_prefix: 'egress_http',
              codec_type: 'AUTO',
              access_log: [{ name: 'envoy.access_loggers.stdout', typed_config: { '@type': `${ANY}envoy.extensions.access_loggers.stream.v3.StdoutAccessLog` } }],
              route_config: {
                name: 'egress',
                virtual_hosts: [{
                  name: 'payments',
                  domains: ['*'],
                  routes: [{
                    match: { prefix: '/' },
                    route: {
                      cluster: 'payments',
                      timeout: '5s',
                      idle_timeout: '30s',
                      retry_policy: {
                        retry_on: '5xx,gateway-error,connect-failure,reset',
                        num_retries: 2,
                        per_try_timeout: '1.5s',
                        retry_back_off: { base_interval: '0.025s', max_interval: '0.25s' },
                        retry_host_predicate: [{
                          name: 'envoy.retry_host_predicates.previous_hosts',
                          typed_config: { '@type': `${ANY}envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate` },
                        }],
                        host_selection_retry_max_attempts: 3,
                      },
                    },
                  }],
                }],
              },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': `${ANY}envoy.extensions.filters.http.router.v3.Router` } }],
            },
          }],
        }],
      }],
      clusters: [{
        name: 'payments',
        type: 'STRICT_DNS',
        connect_timeout: '2s',
        lb_policy: 'ROUND_ROBIN',
        dns_refresh_rate: '5s',
        respect_dns_ttl: true,
        dns_lookup_family: 'V4_ONLY',
        load_assignment: {
          cluster_name: 'payments',
          endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'payments.services.internal', port_value: 8080 } } } }] }],
        },
        circuit_breakers: {
          thresholds: [{
            priority: 'DEFAULT',
            max_connections: 1024,
            max_pending_requests: 1024,
            max_requests: 1024,
            max_retries: 3,
            retry_budget: { budget_percent: { value: 20 }, min_retry_concurrency: 3 },
          }],
        },
        outlier_detection: { consecutive_5xx: 5, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 50 },
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': `${ANY}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
            explicit_http_config: { http2_protocol_options: {} },
          },
        },
      }],
    },
  };
}

const HCM = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';
const ROUTE = `${HCM}.route_config.virtual_hosts[0].routes[0].route`;
const CLUSTER = 'static_resources.clusters[0]';

/** Applies `mutate` to a fresh valid bootstrap and returns the problems. */
function problemsAfter(mutate: (b: any) => void): string[] {
  const b = validBootstrap();
  mutate(b);
  return checkEnvoyBootstrap(b);
}

/** Asserts exactly one problem, at `path`, whose text matches `message`. */
function expectOneProblem(problems: string[], path: string, message: RegExp): void {
  expect(problems).toHaveLength(1);
  expect(problems[0].startsWith(`${path}: `)).toBe(true);
  expect(problems[0]).toMatch(message);
}

describe('checkEnvoyBootstrap', () => {
  test('loads the v3 protos once, quickly, with no file missing', () => {
    const first = loadEnvoyProtos();
    expect(first.missing).toEqual([]);
    expect(first.loadMs).toBeLessThan(3000);
    expect(loadEnvoyProtos()).toBe(first);
  });

  test('a realistic bootstrap is valid', () => {
    expect(checkEnvoyBootstrap(validBootstrap())).toEqual([]);
  });

  test('an unknown field', () => {
    const problems = problemsAfter((b) => { b.static_resources.clusters[0].circuit_breakers.thresholds[0].retry_budget.budget_precent = { value: 20 }; });
    expectOneProblem(problems, `${CLUSTER}.circuit_breakers.thresholds[0].retry_budget.budget_precent`, /unknown field "budget_precent" in envoy\.config\.cluster\.v3\.CircuitBreakers\.Thresholds\.RetryBudget/);
  });

  test('a lowerCamelCase json_name is named with its proto field name', () => {
    const problems = problemsAfter((b) => { b.static_resources.clusters[0].connectTimeout = b.static_resources.clusters[0].connect_timeout; delete b.static_resources.clusters[0].connect_timeout; });
    expectOneProblem(problems, `${CLUSTER}.connectTimeout`, /use the proto field name "connect_timeout"/);
  });

  test('a removed (reserved) field: Cluster.hosts', () => {
    const problems = problemsAfter((b) => { b.static_resources.clusters[0].hosts = [{ socket_address: { address: 'x', port_value: 1 } }]; });
    expectOneProblem(problems, `${CLUSTER}.hosts`, /unknown field "hosts".*reserved/);
  });

  test('a wrong scalar type', () => {
    const problems = problemsAfter((b) => { b.static_resources.clusters[0].respect_dns_ttl = 'true'; });
    expectOneProblem(problems, `${CLUSTER}.respect_dns_ttl`, /expected a boolean, got string "true"/);
  });

  test('a wrapper given as an object instead of the bare scalar', () => {
    const problems = problemsAfter((b) => { b.static_resources.clusters[0].circuit_breakers.thresholds[0].retry_budget.min_retry_concurrency = { value: 3 }; });
    expectOneProblem(problems, `${CLUSTER}.circuit_breakers.thresholds[0].retry_budget.min_retry_concurrency`, /expected an integer \(uint32\)/);
  });

  test('a non-integer and an out-of-range integer', () => {
    const problems = problemsAfter((b) => {
      b.static_resources.clusters[0].outlier_detection.consecutive_5xx = 2.5;
      b.static_resources.clusters[0].outlier_detection.max_ejection_percent = 4294967296;
      b.static_resources.clusters[0].circuit_breakers.thresholds[0].max_retries = -1;
    });
    expect(problems).toEqual([
      expect.stringMatching(/^static_resources\.clusters\[0\]\.circuit_breakers\.thresholds\[0\]\.max_retries: -1 is out of range for uint32/),
      expect.stringMatching(/^static_resources\.clusters\[0\]\.outlier_detection\.consecutive_5xx: expected an integer \(uint32\), got number 2\.5/),
      expect.stringMatching(/^static_resources\.clusters\[0\]\.outlier_detection\.max_ejection_percent: 4294967296 is out of range for uint32/),
    ]);
  });

  test('int64 accepts a decimal string and rejects an unsafe number', () => {
    expect(problemsAfter((b) => { b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.retry_policy.host_selection_retry_max_attempts = '3'; })).toEqual([]);
    const problems = problemsAfter((b) => { b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.retry_policy.host_selection_retry_max_attempts = 2 ** 60; });
    expectOneProblem(problems, `${ROUTE}.retry_policy.host_selection_retry_max_attempts`, /use a decimal string/);
  });

  test('an unknown enum value', () => {
    const problems = problemsAfter((b) => { b.static_resources.clusters[0].dns_lookup_family = 'IPV4_ONLY'; });
    expectOneProblem(problems, `${CLUSTER}.dns_lookup_family`, /"IPV4_ONLY" is not a value of enum envoy\.config\.cluster\.v3\.Cluster\.DnsLookupFamily \(AUTO, V4_ONLY, V6_ONLY/);
  });

  test('an enum by number must be a defined value', () => {
    expect(problemsAfter((b) => { b.static_resources.clusters[0].type = 1; })).toEqual([]);
    expectOneProblem(problemsAfter((b) => { b.static_resources.clusters[0].type = 42; }), `${CLUSTER}.type`, /number 42 is not a value of enum/);
  });

  test('an Any whose @type does not resolve', () => {
    const problems = problemsAfter((b) => { b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config['@type'] = `${ANY}envoy.extensions.filters.http.router.v3.Routr`; });
    expectOneProblem(problems, `${HCM}.http_filters[0].typed_config.@type`, /"type\.googleapis\.com\/envoy\.extensions\.filters\.http\.router\.v3\.Routr" does not name a loaded message type/);
  });

  test('an Any without the type.googleapis.com/ prefix', () => {
    const problems = problemsAfter((b) => { b.admin.access_log[0].typed_config['@type'] = 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog'; });
    expectOneProblem(problems, 'admin.access_log[0].typed_config.@type', /does not name a loaded message type/);
  });

  test('an Any must name its type in full', () => {
    const problems = problemsAfter((b) => { b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config['@type'] = `${ANY}Router`; });
    expectOneProblem(problems, `${HCM}.http_filters[0].typed_config.@type`, /"type\.googleapis\.com\/Router" does not name a loaded message type/);
  });

  test('the payload of an Any is checked against its type', () => {
    const problems = problemsAfter((b) => {
      const hcm = b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
      hcm.stat_prefx = hcm.stat_prefix;
      delete hcm.stat_prefix;
    });
    expect(problems).toEqual([
      expect.stringMatching(/^static_resources\.listeners\[0\]\.filter_chains\[0\]\.filters\[0\]\.typed_config\.stat_prefx: unknown field/),
      // stat_prefix is a required string (PGV min_len 1): absent, it is checked as "".
      expect.stringMatching(/^static_resources\.listeners\[0\]\.filter_chains\[0\]\.filters\[0\]\.typed_config\.stat_prefix: violates \(validate\.rules\)\.string\.min_len = 1/),
    ]);
  });

  test('a oneof conflict', () => {
    const problems = problemsAfter((b) => { b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.cluster_header = 'x-cluster'; });
    expectOneProblem(problems, ROUTE, /oneof envoy\.config\.route\.v3\.RouteAction\.cluster_specifier allows one of its fields, got cluster, cluster_header/);
  });

  test('a required oneof left unset', () => {
    const problems = problemsAfter((b) => { delete b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.cluster; });
    expectOneProblem(problems, ROUTE, /oneof envoy\.config\.route\.v3\.RouteAction\.cluster_specifier requires one of cluster, cluster_header/);
  });

  test.each([['2'], ['2ms'], ['1.0000000001s'], ['PT2S'], [2]])('a bad duration %p', (value) => {
    const problems = problemsAfter((b) => { b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.retry_policy.per_try_timeout = value; });
    expectOneProblem(problems, `${ROUTE}.retry_policy.per_try_timeout`, /expected a Duration string like "1\.5s"/);
  });

  test('a non-array for a repeated field', () => {
    const problems = problemsAfter((b) => { b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].domains = '*'; });
    expectOneProblem(problems, `${HCM}.route_config.virtual_hosts[0].domains`, /expected an array \(repeated string\), got string "\*"/);
  });

  test('a map value is checked and named by its key', () => {
    const problems = problemsAfter((b) => { b.static_resources.clusters[0].typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config.http2_protocol_options = { max_concurrent_streams: 'many' }; });
    expectOneProblem(problems, `${CLUSTER}.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].explicit_http_config.http2_protocol_options.max_concurrent_streams`, /expected an integer \(uint32\)/);
  });

  test('deprecated fields', () => {
    const problems = problemsAfter((b) => {
      b.static_resources.clusters[0].http2_protocol_options = {};
      b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route = {
        weighted_clusters: { clusters: [{ name: 'payments', weight: 100 }], total_weight: 100 },
      };
    });
    expect(problems).toEqual([
      expect.stringMatching(/^static_resources\.listeners\[0\]\.filter_chains\[0\]\.filters\[0\]\.typed_config\.route_config\.virtual_hosts\[0\]\.routes\[0\]\.route\.weighted_clusters\.total_weight: field envoy\.config\.route\.v3\.WeightedCluster\.total_weight is deprecated/),
      expect.stringMatching(/^static_resources\.clusters\[0\]\.http2_protocol_options: field envoy\.config\.cluster\.v3\.Cluster\.http2_protocol_options is deprecated/),
    ]);
  });

  test('a deprecated enum value', () => {
    const problems = problemsAfter((b) => { b.dynamic_resources = { ads_config: { api_type: 'DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE', transport_api_version: 'V3' } }; });
    expectOneProblem(problems, 'dynamic_resources.ads_config.api_type', /enum value envoy\.config\.core\.v3\.ApiConfigSource\.ApiType\.DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE is deprecated/);
  });

  test('an Any holding a well-known type carries it under "value"', () => {
    const extension = (value: unknown) => problemsAfter((b) => { b.bootstrap_extensions = [{ name: 'x', typed_config: { '@type': `${ANY}google.protobuf.Struct`, value } }]; });
    expect(extension({ any: ['json', 1, null] })).toEqual([]);
    expectOneProblem(extension('text'), 'bootstrap_extensions[0].typed_config.value', /expected a JSON object \(Struct\)/);
    const empty = problemsAfter((b) => { b.bootstrap_extensions = [{ name: 'x', typed_config: { '@type': `${ANY}google.protobuf.Empty` } }]; });
    expect(empty).toEqual([]);
  });

  test('PGV rules: numeric bounds, duration bounds, required message', () => {
    const problems = problemsAfter((b) => {
      b.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 70000;
      b.static_resources.clusters[0].circuit_breakers.thresholds[0].retry_budget.budget_percent.value = 120;
      b.static_resources.clusters[0].connect_timeout = '0s';
      b.static_resources.clusters[0].dns_refresh_rate = '0.001s';
      delete b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].match;
    });
    expect(problems).toEqual([
      expect.stringMatching(/routes\[0\]\.match: is required$/),
      expect.stringMatching(/lb_endpoints\[0\]\.endpoint\.address\.socket_address\.port_value: violates \(validate\.rules\)\.uint32\.lte = 65535, got 70000/),
      expect.stringMatching(/retry_budget\.budget_percent\.value: violates \(validate\.rules\)\.double\.lte = 100, got 120/),
      expect.stringMatching(/^static_resources\.clusters\[0\]\.connect_timeout: violates \(validate\.rules\)\.duration\.gt = "0s", got "0s"/),
      expect.stringMatching(/^static_resources\.clusters\[0\]\.dns_refresh_rate: violates \(validate\.rules\)\.duration\.gt = "0\.001s", got "0\.001s"/),
    ]);
  });

  test('the root must be an object', () => {
    expect(checkEnvoyBootstrap([])).toEqual([expect.stringMatching(/^<root>: expected an object \(envoy\.config\.bootstrap\.v3\.Bootstrap\), got array/)]);
  });
});
