// The Envoy data plane (ServiceMesh.envoy()): the sidecars, their bootstraps, the metrics
// collector, the alarms and dashboards built on their statistics, and the validation of the options.
// Expected values come from Envoy's semantics and the inputs below, not from the code under test.
import { exec } from 'node:child_process';
import * as net from 'node:net';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { build as buildEnvoyExample } from '../../examples/envoy/app';
import {
  DEFAULT_ENVOY_VERSION, GrpcRetryEvent, HttpRetryEvent, Microservice, MicroservicePlatform, RetryPolicy, ServiceCallGraph, ServiceMesh,
  ServiceProtocol, TcpRetryEvent, Tracing,
} from '../../lib';
import type { EnvoyMeshOptions } from '../../lib';
import { specOf } from '../../lib/monitoring/alarm-catalog';
import { checkEnvoyBootstrap } from './envoy-proto';
import { annotationsOf, IMAGE, logicalId, testApp } from '../util';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** What every CloudFormation token (intrinsic) and every unresolved CDK token becomes before parsing. */
const TOKEN = 'TOKEN';
/** CDK's string encoding of an unresolved token. */
const CDK_TOKEN = /\$\{Token\[[^\]]+\]\}/g;

/** A template value (a string, or an Fn::Join of strings and intrinsics) as text, intrinsics replaced by TOKEN. */
function joined(value: any): string {
  if (typeof value === 'string') return value;
  if (value && Array.isArray(value['Fn::Join'])) {
    const [sep, parts] = value['Fn::Join'];
    return parts.map((p: unknown) => (typeof p === 'string' ? p : TOKEN)).join(sep);
  }
  return TOKEN;
}

/** The intrinsics of a template value's Fn::Join, in order. */
function intrinsics(value: any): any[] {
  return value && Array.isArray(value['Fn::Join']) ? value['Fn::Join'][1].filter((p: unknown) => typeof p !== 'string') : [];
}

/** A synth-time object with every CDK token string replaced by TOKEN, as `joined` does for the template. */
function detoken<T>(o: T): T {
  return JSON.parse(JSON.stringify(o).replace(CDK_TOKEN, TOKEN));
}

/** The bootstrap a service's sidecar runs, as the mesh computes it. */
const bootstrapOf = (svc: Microservice): any => (svc as any).mesh.bootstrap();

/** The containers of the stack's caller: the task definition with an envoy container, else the stack's only one. */
function containersOf(t: Template): any[] {
  const all: any[][] = Object.values<any>(t.findResources('AWS::ECS::TaskDefinition')).map((d) => d.Properties.ContainerDefinitions);
  return all.find((cs) => cs.some((c) => c.Name === 'envoy')) ?? (all.length === 1 ? all[0] : []);
}
const containerOf = (t: Template, name: string): any => containersOf(t).find((c) => c.Name === name);
const envOf = (t: Template, name = 'app'): { [k: string]: any } => Object.fromEntries((containerOf(t, name)?.Environment ?? []).map((e: any) => [e.Name, e.Value]));

/**
 * A stand-in for Envoy's admin listener that answers as Envoy's HTTP/1 codec does with the default
 * settings the admin listener builds it with (envoyproxy/envoy `source/server/admin/admin.cc`
 * `createCodec` passes `Http::Http1Settings()`; `envoy/http/codec.h` `accept_http_10_{false}`):
 * HTTP/1.0 gets `426 Upgrade Required` (`source/common/http/http1/codec_impl.cc`), HTTP/1.1
 * without Host gets `400` (`missing_host_header`, `source/common/http/conn_manager_impl.cc`), and
 * the connection stays open after a reply unless the request said `Connection: close`.
 */
function envoyAdminStub(status: string, body: string): Promise<net.Server> {
  return new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer((sock) => {
      let req = '';
      sock.on('error', () => undefined);
      sock.on('data', (chunk) => {
        req += chunk.toString();
        const end = req.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [requestLine, ...headerLines] = req.slice(0, end).split('\r\n');
        req = req.slice(end + 4);
        const headers = new Map(headerLines.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const [method, path, version] = requestLine.split(' ');
        const reply = (s: string, b: string, close: boolean) => {
          sock.write(`HTTP/1.1 ${s}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(b)}\r\n${close ? 'connection: close\r\n' : ''}\r\n${b}`);
          if (close) sock.end();
        };
        if (version === 'HTTP/1.0') return reply('426 Upgrade Required', 'Upgrade Required', true);
        if (version !== 'HTTP/1.1') return reply('400 Bad Request', '', true);
        if (!headers.get('host')) return reply('400 Bad Request', '', true);
        const close = headers.get('connection')?.toLowerCase() === 'close';
        if (method !== 'GET' || path !== '/ready') return reply('404 Not Found', 'invalid path.', close);
        return reply(status, `${body}\n`, close);
      });
    });
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** The bootstrap in the template: the argument after --config-yaml, joined and parsed. */
function templateBootstrap(t: Template): any {
  const command: any[] = containerOf(t, 'envoy').Command;
  return JSON.parse(joined(command[command.indexOf('--config-yaml') + 1]));
}

/** The collector's configuration in the template, joined and parsed. */
const collectorConfigIn = (t: Template): any => JSON.parse(joined(envOf(t, 'envoy-metrics').AOT_CONFIG_CONTENT));

const listeners = (b: any): any[] => b.static_resources.listeners;
const clusters = (b: any): any[] => b.static_resources.clusters;
const listener = (b: any, name: string): any => listeners(b).find((l) => l.name === name);
const cluster = (b: any, name: string): any => clusters(b).find((c) => c.name === name);
const hcm = (l: any): any => l.filter_chains[0].filters[0].typed_config;
const routeOf = (b: any, name: string): any => hcm(listener(b, name)).route_config.virtual_hosts[0].routes[0];
const thresholds = (c: any): any => c.circuit_breakers.thresholds[0];
const retryOnSet = (r: any): Set<string> => new Set(r.route.retry_policy.retry_on.split(','));
const http2Of = (c: any): any => c.typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];

/** Envoy command operators of the access-log format, with sample values of one retried gRPC call. */
const SAMPLE_OPERATORS: { [op: string]: string } = {
  'START_TIME': '2026-11-02T10:00:00.000Z',
  'UPSTREAM_CLUSTER': 'payments',
  'REQ(:METHOD)': 'POST',
  'RESPONSE_CODE': '503',
  'RESPONSE_FLAGS': 'URX',
  'UPSTREAM_REQUEST_ATTEMPT_COUNT': '3',
  'DURATION': '4512',
  'BYTES_RECEIVED': '120',
  'BYTES_SENT': '0',
  'UPSTREAM_HOST': '10.0.1.17:50051',
};

/** One access-log line as Envoy writes it: every %OPERATOR% of the format replaced by its sample value. */
function sampleLine(format: string, overrides: { [op: string]: string } = {}): any {
  const values = { ...SAMPLE_OPERATORS, ...overrides };
  const line = format.replace(/%([A-Z_]+(?:\([^)]*\))?)%/g, (_m, op: string) => {
    if (!(op in values)) throw new Error(`unexpected access-log operator %${op}%`);
    return values[op];
  });
  return JSON.parse(line);
}

const accessLogFormatOf = (b: any, name: string): string => hcm(listener(b, name)).access_log[0].typed_config.log_format.text_format_source.inline_string;

const alarmsOf = (t: Template): { [name: string]: any } => Object.fromEntries(Object.values<any>(t.findResources('AWS::CloudWatch::Alarm'))
  .map((a) => [a.Properties.AlarmName, a.Properties]));
const healthRule = (t: Template): string => Object.values<any>(t.findResources('AWS::CloudWatch::CompositeAlarm'))[0].Properties.AlarmRule;
const deploymentAlarms = (t: Template): string[] => Object.values<any>(t.findResources('AWS::ECS::Service'))
  .flatMap((s) => s.Properties.DeploymentConfiguration?.Alarms?.AlarmNames ?? []);
/** A MetricStat's dimensions as a name -> value map. */
const dims = (m: any): { [k: string]: any } => Object.fromEntries(m.MetricStat.Metric.Dimensions.map((d: any) => [d.Name, d.Value]));

/** Evaluates a CloudWatch metric-math expression of the form used by the rate alarms on sample values. */
function evaluate(expression: string, values: { [id: string]: number | undefined }): number {
  const ids = Object.keys(values);
  const f = new Function('IF', 'FILL', ...ids, `return ${expression};`);
  return f((c: boolean, a: number, b: number) => (c ? a : b), (v: number | undefined, d: number) => (v === undefined ? d : v), ...ids.map((k) => values[k]));
}

/** The dashboard body of a template, tokens replaced, parsed. */
const dashboardOf = (t: Template): any => JSON.parse(joined(Object.values<any>(t.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody));
const titles = (widgets: any[]): string[] => widgets.map((w) => w.properties?.title ?? w.properties?.markdown).filter(Boolean);

const everyMicroservice = (root: IConstruct): Microservice[] => root.node.findAll().filter((c): c is Microservice => c instanceof Microservice);

const OUTLIER = { maxServerErrors: 5, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 50 };

/** A platform on `mesh` and, in one stack, a caller of one backend with the given props. */
function pair(mesh: ServiceMesh, backendProps: object = {}, callerProps: object = {}): { app: App; stack: Stack; caller: Microservice; backend: Microservice } {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh });
  const stack = new Stack(app, 'S');
  const backend = new Microservice(stack, 'Backend', { platform, image: IMAGE, ...backendProps });
  const caller = new Microservice(stack, 'Caller', { platform, image: IMAGE, ...callerProps });
  caller.connectTo(backend);
  return { app, stack, caller, backend };
}

// ---------------------------------------------------------------------------------------------
// The shared app: orders -> payments (gRPC) -> ledger (HTTP), paymentsV2 a 10 % canary of payments,
// and two more backends of orders: inventory (HTTP, no retries, no limits) and catalog (HTTP/2).
// ---------------------------------------------------------------------------------------------

describe('a chain of services on ServiceMesh.envoy()', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh: ServiceMesh.envoy() });
  const stacks = Object.fromEntries(['Ledger', 'Payments', 'PaymentsV2', 'Inventory', 'Catalog', 'Orders'].map((n) => [n, new Stack(app, n)]));

  // The ledger: one retry on gateway errors and on 409; the default TCP event (connection-error).
  const LEDGER = {
    requestTimeout: Duration.seconds(2), idleTimeout: Duration.seconds(60), perTry: Duration.millis(800), maxRetries: 1,
    pool: { maxConnections: 100, maxPendingRequests: 50 },
  };
  const ledger = new Microservice(stacks.Ledger, 'Ledger', {
    platform, image: IMAGE,
    requestTimeout: LEDGER.requestTimeout, idleTimeout: LEDGER.idleTimeout,
    retryPolicy: RetryPolicy.http({ maxRetries: LEDGER.maxRetries, perRetryTimeout: LEDGER.perTry, httpRetryEvents: [HttpRetryEvent.GATEWAY_ERROR, HttpRetryEvent.CLIENT_ERROR] }),
    outlierDetection: OUTLIER,
    connectionPool: LEDGER.pool,
  });
  // Payments: gRPC on 50051, two retries on UNAVAILABLE and DEADLINE_EXCEEDED (and refused connections).
  const PAYMENTS = {
    port: 50051, requestTimeout: Duration.seconds(5), perTry: Duration.millis(1500), maxRetries: 2,
    outlier: { maxServerErrors: 3, interval: Duration.seconds(5), baseEjectionDuration: Duration.seconds(20), maxEjectionPercent: 34 },
    pool: { maxConnections: 200, maxPendingRequests: 20, maxRequests: 400 },
  };
  const grpcPolicy = () => RetryPolicy.grpc({ maxRetries: PAYMENTS.maxRetries, perRetryTimeout: PAYMENTS.perTry, grpcRetryEvents: [GrpcRetryEvent.UNAVAILABLE, GrpcRetryEvent.DEADLINE_EXCEEDED] });
  const payments = new Microservice(stacks.Payments, 'Payments', {
    platform, image: IMAGE, containerPort: PAYMENTS.port,
    requestTimeout: PAYMENTS.requestTimeout, retryPolicy: grpcPolicy(),
    outlierDetection: PAYMENTS.outlier, connectionPool: PAYMENTS.pool,
  });
  const paymentsV2 = new Microservice(stacks.PaymentsV2, 'PaymentsV2', {
    platform, image: IMAGE, containerPort: PAYMENTS.port, requestTimeout: PAYMENTS.requestTimeout, retryPolicy: grpcPolicy(),
  });
  // Inventory: plain HTTP, RetryPolicy.none() (the default), no outlier detection, no pool.
  const inventory = new Microservice(stacks.Inventory, 'Inventory', { platform, image: IMAGE, requestTimeout: Duration.seconds(3) });
  // Catalog: HTTP/2 cleartext with the default HTTP retry policy; requestTimeout = 3 attempts x 2 s exactly.
  const catalog = new Microservice(stacks.Catalog, 'Catalog', {
    platform, image: IMAGE, protocol: ServiceProtocol.HTTP2, requestTimeout: Duration.seconds(6), retryPolicy: RetryPolicy.http(),
  });
  const orders = new Microservice(stacks.Orders, 'Orders', {
    platform, image: IMAGE, requestTimeout: Duration.seconds(10), alarms: { edges: { serverErrorRate: { threshold: 5 } } },
  });
  orders.connectTo(payments);
  orders.connectTo(inventory);
  orders.connectTo(catalog);
  payments.connectTo(ledger);
  paymentsV2.connectTo(ledger);
  payments.routeCanary(paymentsV2, 10);

  const t = Object.fromEntries(Object.entries(stacks).map(([n, s]) => [n, Template.fromStack(s)]));
  const callers = { Orders: orders, Payments: payments, PaymentsV2: paymentsV2 };
  const ordersBoot = bootstrapOf(orders);
  const paymentsBoot = bootstrapOf(payments);

  describe('the sidecar', () => {
    test.each(Object.keys(callers))('%s, a caller, runs Envoy v1.40.2 (the platform\'s copy) itself as the non-root envoy user on a read-only root file system', (name) => {
      const envoy = containerOf(t[name], 'envoy');
      // The platform's copy of envoyproxy/envoy:v1.40.2, by the digest its custom resource returns.
      expect(envoy.Image).toEqual({ 'Fn::GetStackOutput': expect.objectContaining({ StackName: 'Platform', OutputName: expect.stringMatching(/ImageMirrorEnvoy.*ImageUri/) }) });
      expect(envoy).toMatchObject({
        EntryPoint: ['envoy'],
        User: '101',
        ReadonlyRootFilesystem: true,
        Essential: true,
        Cpu: 128,
        MemoryReservation: 128,
      });
      expect(DEFAULT_ENVOY_VERSION).toBe('v1.40.2');
      // The whole bootstrap inline (no file to write on a read-only root), and no hot restart.
      expect(envoy.Command[0]).toBe('--config-yaml');
      expect(envoy.Command[2]).toBe('--disable-hot-restart');
    });

    test('is checked ready on its admin port before the app starts', () => {
      const envoy = containerOf(t.Orders, 'envoy');
      const [cmd, shell, flag, probe] = envoy.HealthCheck.Command;
      expect([cmd, shell, flag]).toEqual(['CMD', 'bash', '-c']);
      expect(probe).toContain('/dev/tcp/127.0.0.1/9901');
      expect(probe).toContain('GET /ready');
      expect(probe).toContain('grep -q LIVE');
      expect(envoy.HealthCheck).toMatchObject({ Interval: 5, Timeout: 2, Retries: 3, StartPeriod: 10 });
      expect(containerOf(t.Orders, 'app').DependsOn).toContainEqual({ ContainerName: 'envoy', Condition: 'HEALTHY' });
    });

    test("the health probe passes only when Envoy's admin listener answers it LIVE, by the rules of Envoy's HTTP/1 codec", async () => {
      // Run against a free port of this machine rather than 9901, which another process may hold.
      const probe: string = containerOf(t.Orders, 'envoy').HealthCheck.Command[3];
      expect(probe).toContain('/dev/tcp/127.0.0.1/9901');
      const run = (port: number) => new Promise<number>((resolve) => exec(`bash -c ${JSON.stringify(probe.replace('/9901', `/${port}`))}`,
        { timeout: 20000 }, (err) => resolve(err ? (err.code ?? 1) as number : 0)));
      const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port;
      const close = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));
      let server = await envoyAdminStub('200 OK', 'LIVE');
      const live = portOf(server);
      try { expect(await run(live)).toBe(0); } finally { await close(server); }
      expect(await run(live)).not.toBe(0); // nothing listening any more
      server = await envoyAdminStub('503 Service Unavailable', 'PRE_INITIALIZING');
      try { expect(await run(portOf(server))).not.toBe(0); } finally { await close(server); }
    }, 60_000);

    test("the stub of Envoy's admin listener refuses what Envoy refuses: HTTP/1.0 (426), HTTP/1.1 without Host (400)", async () => {
      const server = await envoyAdminStub('200 OK', 'LIVE');
      // A connection Envoy closes ends at once; one it keeps is read until `idle` passes without data.
      const ask = (request: string, idle = 3000) => new Promise<string>((resolve, reject) => {
        const sock = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1', () => sock.write(request));
        let reply = '';
        sock.on('data', (d) => { reply += d.toString(); });
        sock.on('end', () => resolve(reply));
        sock.on('error', reject);
        sock.setTimeout(idle, () => { sock.destroy(); resolve(`${reply}(left open)`); });
      });
      try {
        expect(await ask('GET /ready HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
        expect(await ask('GET /ready HTTP/1.1\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
        expect(await ask('GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nLIVE\n$/);
        // Without Connection: close, Envoy keeps the connection open after the reply.
        expect(await ask('GET /ready HTTP/1.1\r\nHost: x\r\n\r\n', 1000)).toMatch(/LIVE\n\(left open\)$/);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }, 30_000);

    test("stops 10 s after the app and logs to the service's own log group under the envoy prefix", () => {
      const envoy = containerOf(t.Orders, 'envoy');
      expect(envoy.StopTimeout).toBe(10);
      expect(envoy.LogConfiguration).toEqual({
        LogDriver: 'awslogs',
        Options: { 'awslogs-group': { Ref: logicalId(orders.logGroup) }, 'awslogs-stream-prefix': 'envoy', 'awslogs-region': { Ref: 'AWS::Region' } },
      });
    });

    test('a service that calls nobody runs neither Envoy nor the collector, and has no Envoy resources', () => {
      expect(containersOf(t.Ledger).map((c) => c.Name)).toEqual(['app']);
      t.Ledger.resourceCountIs('AWS::Logs::MetricFilter', 0);
      expect(JSON.stringify(t.Ledger.toJSON())).not.toMatch(/MetricsLogGroup|envoy-metrics|EnvoyImagePullPolicy/);
      expect(Object.keys(alarmsOf(t.Ledger)).filter((n) => n.includes('-Edge'))).toEqual([]);
      expect(listeners(bootstrapOf(ledger))).toEqual([]);
    });

    test('a caller runs exactly one sidecar and one collector whatever its number of backends', () => {
      expect(containersOf(t.Orders).map((c) => c.Name).sort()).toEqual(['app', 'envoy', 'envoy-metrics']);
    });
  });

  describe('the local listeners', () => {
    test("hands the app each callee's listener as <CALLEE>_URL, from 15001 in connectTo order", () => {
      expect(envOf(t.Orders)).toMatchObject({ PAYMENTS_URL: 'http://127.0.0.1:15001', INVENTORY_URL: 'http://127.0.0.1:15002', CATALOG_URL: 'http://127.0.0.1:15003' });
      expect(envOf(t.Payments).LEDGER_URL).toBe('http://127.0.0.1:15001');
      expect(envOf(t.PaymentsV2).LEDGER_URL).toBe('http://127.0.0.1:15001');
      // The canary is reached through the payments listener: no variable of its own.
      expect(envOf(t.Orders).PAYMENTS_V2_URL).toBeUndefined();
    });

    test('each URL is the listener of its callee in the bootstrap', () => {
      for (const [env, name] of [['PAYMENTS_URL', 'payments'], ['INVENTORY_URL', 'inventory'], ['CATALOG_URL', 'catalog']]) {
        const url = new URL(envOf(t.Orders)[env]);
        expect(listener(ordersBoot, name).address.socket_address).toEqual({ address: url.hostname, port_value: Number(url.port) });
        expect(routeOf(ordersBoot, name).route.cluster ?? routeOf(ordersBoot, name).route.weighted_clusters.clusters[0].name).toBe(name);
      }
    });

    test('binds the admin interface and every listener to 127.0.0.1 only', () => {
      for (const b of [ordersBoot, paymentsBoot]) {
        expect(b.admin).toEqual({ address: { socket_address: { address: '127.0.0.1', port_value: 9901 } } });
        for (const l of listeners(b)) expect(l.address.socket_address.address).toBe('127.0.0.1');
      }
    });
  });

  describe('the bootstrap', () => {
    test.each(Object.keys(callers))("%s: the template's --config-yaml is the bootstrap the sidecar computes", (name) => {
      const boot = bootstrapOf(callers[name as keyof typeof callers]);
      expect(templateBootstrap(t[name])).toEqual(detoken(boot));
      // The only token is the ECS cluster name (a cross-stack reference), once per listener's access-log line.
      const command = containerOf(t[name], 'envoy').Command;
      const tokens = intrinsics(command[1]);
      expect(tokens).toHaveLength(listeners(boot).length);
      for (const x of tokens) expect(x).toEqual({ 'Fn::GetStackOutput': expect.objectContaining({ StackName: 'Platform', OutputName: expect.stringMatching(/Cluster/) }) });
    });

    test('names the node after the caller', () => {
      expect(ordersBoot.node).toEqual({ id: 'orders', cluster: 'orders' });
      expect(paymentsBoot.node).toEqual({ id: 'payments', cluster: 'payments' });
    });

    test("sets each route's timeout to the callee's requestTimeout, which covers every attempt", () => {
      expect(routeOf(ordersBoot, 'payments').route.timeout).toBe('5s');
      expect(routeOf(ordersBoot, 'inventory').route.timeout).toBe('3s');
      expect(routeOf(ordersBoot, 'catalog').route.timeout).toBe('6s');
      expect(routeOf(paymentsBoot, 'ledger').route.timeout).toBe('2s');
    });

    test("sets the route's idle_timeout from the callee's idleTimeout, and none without it", () => {
      expect(routeOf(paymentsBoot, 'ledger').route.idle_timeout).toBe('60s');
      expect(routeOf(ordersBoot, 'payments').route).not.toHaveProperty('idle_timeout');
    });

    test("retries a gRPC callee on its status codes and on refused connections, as its RetryPolicy describes", () => {
      const r = routeOf(ordersBoot, 'payments').route;
      expect(retryOnSet(routeOf(ordersBoot, 'payments'))).toEqual(new Set(['unavailable', 'deadline-exceeded', 'connect-failure']));
      expect(r.retry_policy).toMatchObject({
        num_retries: PAYMENTS.maxRetries,
        per_try_timeout: '1.5s',
        // Envoy's defaults: 25 ms base, max 10 x base.
        retry_back_off: { base_interval: '0.025s', max_interval: '0.25s' },
      });
      // Envoy's default (1) gives previous_hosts a single re-pick; more make "another task" likely.
      expect(r.retry_policy.host_selection_retry_max_attempts).toBeGreaterThan(1);
      // A retry goes to another task than the ones that failed.
      expect(r.retry_policy.retry_host_predicate).toEqual([{
        name: 'envoy.retry_host_predicates.previous_hosts',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' },
      }]);
    });

    test('retries an HTTP callee on gateway errors (with resets), retriable 4XX and refused connections', () => {
      const r = routeOf(paymentsBoot, 'ledger');
      expect(retryOnSet(r)).toEqual(new Set(['gateway-error', 'reset', 'retriable-4xx', 'connect-failure']));
      expect(r.route.retry_policy).toMatchObject({ num_retries: 1, per_try_timeout: '0.8s' });
    });

    test('the default HTTP policy lists each Envoy condition once, though server and gateway errors both imply resets', () => {
      const retryOn: string = routeOf(ordersBoot, 'catalog').route.retry_policy.retry_on;
      const conditions = retryOn.split(',');
      expect(conditions).toHaveLength(new Set(conditions).size);
      expect(new Set(conditions)).toEqual(new Set(['5xx', 'reset', 'gateway-error', 'connect-failure']));
    });

    test('has no retry_policy for a callee with RetryPolicy.none()', () => {
      expect(routeOf(ordersBoot, 'inventory').route).not.toHaveProperty('retry_policy');
      expect(routeOf(ordersBoot, 'inventory').route.timeout).toBe('3s');
    });

    test("splits the payments route 90/10 with the canary, which gets a cluster of its own", () => {
      const r = routeOf(ordersBoot, 'payments').route;
      expect(r).not.toHaveProperty('cluster');
      const split = r.weighted_clusters.clusters;
      expect(split).toEqual([{ name: 'payments', weight: 100 - 10 }, { name: 'payments-v2', weight: 10 }]);
      expect(split.reduce((n: number, c: any) => n + c.weight, 0)).toBe(100);
      expect(cluster(ordersBoot, 'payments-v2').load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address)
        .toEqual({ address: 'payments-v2.services.internal', port_value: PAYMENTS.port });
      // Both shares keep the route's retries and timeout: those of payments.
      expect(r.retry_policy.num_retries).toBe(PAYMENTS.maxRetries);
      // The canary has one cluster, not one listener: the app does not know of it.
      expect(clusters(ordersBoot).map((c) => c.name).sort()).toEqual(['catalog', 'inventory', 'payments', 'payments-v2']);
      expect(listeners(ordersBoot).map((l) => l.name)).toEqual(['payments', 'inventory', 'catalog']);
    });

    test("a caller of the canary's primary's callee sees no canary: payments routes all of its ledger traffic to ledger", () => {
      expect(routeOf(paymentsBoot, 'ledger').route.cluster).toBe('ledger');
      expect(clusters(paymentsBoot).map((c) => c.name)).toEqual(['ledger']);
    });

    test("reaches each backend's tasks through its Cloud Map A records, re-resolved at their TTL", () => {
      for (const [b, name, port] of [[ordersBoot, 'payments', PAYMENTS.port], [ordersBoot, 'inventory', 8080], [ordersBoot, 'catalog', 8080], [paymentsBoot, 'ledger', 8080]] as const) {
        const c = cluster(b, name);
        expect(c).toMatchObject({ type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY', respect_dns_ttl: true, connect_timeout: '1s', lb_policy: 'ROUND_ROBIN' });
        expect(c.load_assignment).toEqual({
          cluster_name: name,
          endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: `${name}.services.internal`, port_value: port } } } }] }],
        });
      }
    });

    test('turns the connection pool into circuit-breaker thresholds, leaving out the limits not set', () => {
      expect(thresholds(cluster(ordersBoot, 'payments'))).toMatchObject({
        priority: 'DEFAULT', max_connections: PAYMENTS.pool.maxConnections, max_pending_requests: PAYMENTS.pool.maxPendingRequests, max_requests: PAYMENTS.pool.maxRequests,
      });
      const ledgerLimits = thresholds(cluster(paymentsBoot, 'ledger'));
      expect(ledgerLimits).toMatchObject({ max_connections: LEDGER.pool.maxConnections, max_pending_requests: LEDGER.pool.maxPendingRequests });
      expect(ledgerLimits).not.toHaveProperty('max_requests');
      for (const name of ['inventory', 'catalog', 'payments-v2']) {
        const limits = thresholds(cluster(ordersBoot, name));
        for (const k of ['max_connections', 'max_pending_requests', 'max_requests']) expect(limits).not.toHaveProperty(k);
      }
    });

    test('gives every backend the default retry budget (20 % of the requests in flight, at least 3) and no fixed max_retries', () => {
      for (const c of [...clusters(ordersBoot), ...clusters(paymentsBoot)]) {
        expect(thresholds(c).retry_budget).toEqual({ budget_percent: { value: 20 }, min_retry_concurrency: 3 });
        // With a budget, Envoy ignores max_retries: setting it would only mislead.
        expect(thresholds(c)).not.toHaveProperty('max_retries');
      }
    });

    test('turns outlierDetection into the cluster outlier detection, only for the callees that set it', () => {
      expect(cluster(ordersBoot, 'payments').outlier_detection).toEqual({
        consecutive_5xx: PAYMENTS.outlier.maxServerErrors, interval: '5s', base_ejection_time: '20s', max_ejection_percent: PAYMENTS.outlier.maxEjectionPercent,
      });
      expect(cluster(paymentsBoot, 'ledger').outlier_detection).toEqual({ consecutive_5xx: 5, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 50 });
      for (const name of ['inventory', 'catalog', 'payments-v2']) expect(cluster(ordersBoot, name)).not.toHaveProperty('outlier_detection');
    });

    test('speaks HTTP/2 to gRPC and HTTP2 callees and HTTP/1.1 to HTTP ones', () => {
      const h2 = { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } };
      expect(http2Of(cluster(ordersBoot, 'payments'))).toEqual(h2);
      expect(http2Of(cluster(ordersBoot, 'payments-v2'))).toEqual(h2);
      expect(http2Of(cluster(ordersBoot, 'catalog'))).toEqual(h2);
      expect(cluster(ordersBoot, 'inventory')).not.toHaveProperty('typed_extension_protocol_options');
      expect(cluster(paymentsBoot, 'ledger')).not.toHaveProperty('typed_extension_protocol_options');
      // The listeners accept HTTP/1.1 and HTTP/2 with prior knowledge alike.
      for (const l of listeners(ordersBoot)) expect(hcm(l).codec_type).toBe('AUTO');
    });

    test('writes one JSON access-log line per request to stdout, with caller, ECS cluster, backend, status, duration and attempts', () => {
      for (const l of listeners(ordersBoot)) {
        expect(hcm(l).access_log).toEqual([{
          name: 'envoy.access_loggers.stdout',
          typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog', log_format: expect.anything() },
        }]);
      }
      const format = detoken(accessLogFormatOf(ordersBoot, 'payments'));
      expect(format.endsWith('\n')).toBe(true);
      const line = sampleLine(format);
      expect(line).toMatchObject({
        caller: 'orders', cluster: TOKEN, backend: SAMPLE_OPERATORS.UPSTREAM_CLUSTER,
        status: 503, duration: 4512, // numbers: the metric filter takes the duration as its value
      });
      expect(Number(line.attempts)).toBe(3);
      // A request never attempted upstream (no healthy host): Envoy prints "-" for the attempt count
      // and the upstream host, which must not break the line's JSON.
      const local = sampleLine(format, { UPSTREAM_REQUEST_ATTEMPT_COUNT: '-', UPSTREAM_HOST: '-', RESPONSE_FLAGS: 'UH', DURATION: '0' });
      expect(local).toMatchObject({ status: 503, duration: 0, backend: 'payments' });
      expect(sampleLine(detoken(accessLogFormatOf(paymentsBoot, 'ledger'))).caller).toBe('payments');
    });

    test("the access line's cluster is the ECS cluster name, the same token as the metric dimensions' ClusterName", () => {
      const command = containerOf(t.Orders, 'envoy').Command;
      const edge = alarmsOf(t.Orders)['Orders-orders-EdgeServerErrorRatePayments'];
      expect(intrinsics(command[1])[0]).toEqual(dims(edge.Metrics.find((m: any) => m.MetricStat)).ClusterName);
    });

    test("the bootstrap's requestTimeout and the call-graph check agree: orders' route covers payments' attempts", () => {
      const r = routeOf(ordersBoot, 'payments').route;
      const sec = (s: string) => Number(s.replace(/s$/, ''));
      expect(sec(r.timeout)).toBeGreaterThanOrEqual(sec(r.retry_policy.per_try_timeout) * (r.retry_policy.num_retries + 1));
      expect(orders.requestTimeout.toSeconds()).toBeGreaterThanOrEqual(sec(r.timeout));
    });
  });

  describe('the metrics collector', () => {
    test('runs the ADOT collector beside each caller, not essential, the app starting once it has started', () => {
      for (const name of Object.keys(callers)) {
        expect(containerOf(t[name], 'envoy-metrics')).toMatchObject({
          Image: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0', Essential: false, ReadonlyRootFilesystem: true,
        });
        expect(containerOf(t[name], 'app').DependsOn).toContainEqual({ ContainerName: 'envoy-metrics', Condition: 'START' });
      }
    });

    test("scrapes the sidecar's Prometheus statistics once a minute, labelled with the ECS cluster and the caller", () => {
      const cfg = collectorConfigIn(t.Orders);
      const scrape = cfg.receivers.prometheus.config.scrape_configs;
      expect(scrape).toHaveLength(1);
      expect(scrape[0]).toMatchObject({
        scrape_interval: '60s',
        metrics_path: '/stats/prometheus',
        static_configs: [{ targets: ['127.0.0.1:9901'], labels: { ClusterName: TOKEN, Caller: 'orders' } }],
      });
      expect(collectorConfigIn(t.Payments).receivers.prometheus.config.scrape_configs[0].static_configs[0].labels.Caller).toBe('payments');
      // Envoy labels each cluster's statistics with envoy_cluster_name: it becomes Backend.
      expect(scrape[0].metric_relabel_configs).toContainEqual({ source_labels: ['envoy_cluster_name'], target_label: 'Backend' });
      expect(cfg.service.pipelines.metrics).toEqual({ receivers: ['prometheus'], processors: ['resourcedetection'], exporters: ['awsemf'] });
    });

    test("publishes the first value of every counter series: Envoy creates a counter at its first event (the first 5XX)", () => {
      // awsemf keeps the first point of a new delta series as its baseline only unless told
      // otherwise (opentelemetry-collector-contrib exporter/awsemfexporter/datapoint.go, README).
      expect(collectorConfigIn(t.Orders).exporters.awsemf.retain_initial_value_of_delta_metric).toBe(true);
    });

    test('names each log stream after its task: the ecs resource detector supplies the {TaskId} the stream name reads', () => {
      // awsemf fills {TaskId} from the resource attribute aws.ecs.task.id (exporter/awsemfexporter/util.go),
      // which the resourcedetection processor's ecs detector sets from the task metadata endpoint;
      // a processor counts only when its pipeline lists it.
      const cfg = collectorConfigIn(t.Orders);
      expect(cfg.exporters.awsemf.log_stream_name).toBe('{TaskId}');
      expect(cfg.processors.resourcedetection.detectors).toEqual(['ecs']);
      expect(cfg.service.pipelines.metrics.processors).toContain('resourcedetection');
      // Resource attributes stay out of the dimensions (awsemf's resource_to_telemetry_conversion is off by default).
      expect(cfg.exporters.awsemf.resource_to_telemetry_conversion).toBeUndefined();
    });

    test("exports CloudWatch EMF in CdkMicroservice/Envoy to the service's Mesh/MetricsLogGroup, by edge and by backend", () => {
      const value = envOf(t.Orders, 'envoy-metrics').AOT_CONFIG_CONTENT;
      const emf = collectorConfigIn(t.Orders).exporters.awsemf;
      expect(emf.namespace).toBe('CdkMicroservice/Envoy');
      expect(emf.log_group_name).toBe(TOKEN);
      const group = orders.node.findChild('Mesh').node.findChild('MetricsLogGroup');
      expect(intrinsics(value)).toContainEqual({ Ref: logicalId(group) });
      const sets = emf.metric_declarations.flatMap((d: any) => d.dimensions.map((s: string[]) => s.filter((x) => x !== 'envoy_response_code_class').join(',')));
      expect(new Set(sets)).toEqual(new Set(['ClusterName,Caller,Backend', 'ClusterName,Backend']));
    });

    test('collects every Envoy metric the alarms read, with the dimension sets the alarms use', () => {
      const cfg = collectorConfigIn(t.Orders);
      const keep = cfg.receivers.prometheus.config.scrape_configs[0].metric_relabel_configs.find((r: any) => r.action === 'keep');
      const keepRe = new RegExp(`^${keep.regex}$`);
      const declarations: any[] = cfg.exporters.awsemf.metric_declarations;
      const stats = [t.Orders, t.Payments].flatMap((tt) => Object.values(alarmsOf(tt)))
        .flatMap((a: any) => a.Metrics ?? [])
        .filter((m: any) => m.MetricStat?.Metric.Namespace === 'CdkMicroservice/Envoy' && m.MetricStat.Metric.MetricName !== 'RequestDuration');
      expect(stats.length).toBeGreaterThan(0);
      for (const m of stats) {
        const name = m.MetricStat.Metric.MetricName;
        expect(name).toMatch(keepRe);
        const set = Object.keys(dims(m)).sort().join(',');
        expect(declarations.some((d) => d.metric_name_selectors.some((sel: string) => new RegExp(sel).test(name))
          && d.dimensions.some((s: string[]) => [...s].sort().join(',') === set))).toBe(true);
      }
    });

    test('has no $ in its configuration, which the collector would expand', () => {
      const value = envOf(t.Orders, 'envoy-metrics').AOT_CONFIG_CONTENT;
      const strings: string[] = typeof value === 'string' ? [value] : value['Fn::Join'][1].filter((p: unknown) => typeof p === 'string');
      expect(strings.join('')).not.toContain('$');
    });

    test('the task role gets a separate policy that writes only to the metrics log group', () => {
      const group = logicalId(orders.node.findChild('Mesh').node.findChild('MetricsLogGroup'));
      const policies = Object.values<any>(t.Orders.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes(group));
      expect(policies).toHaveLength(1);
      const p = policies[0].Properties;
      expect(p.Roles).toEqual([{ Ref: logicalId(orders.taskDefinition.taskRole) }]);
      expect(p.PolicyName).not.toMatch(/DefaultPolicy/);
      expect(p.PolicyDocument.Statement).toHaveLength(1);
      const s = p.PolicyDocument.Statement[0];
      expect(s.Effect).toBe('Allow');
      expect([...s.Action].sort()).toEqual(['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents']);
      for (const r of [s.Resource].flat()) expect(JSON.stringify(r)).toContain(`"${group}"`);
    });

    test('two metric filters publish the RequestDuration of each access-log line, by edge and by backend', () => {
      const filters = Object.values<any>(t.Orders.findResources('AWS::Logs::MetricFilter')).map((f) => f.Properties);
      expect(filters).toHaveLength(2);
      const line = sampleLine(detoken(accessLogFormatOf(ordersBoot, 'payments')));
      const field = (path: string) => line[path.replace(/^\$\./, '')];
      for (const f of filters) {
        expect(f.LogGroupName).toEqual({ Ref: logicalId(orders.logGroup) });
        expect(f.FilterPattern).toContain('$.duration');
        expect(f.FilterPattern).toContain('$.backend');
        const [m] = f.MetricTransformations;
        expect(m).toMatchObject({ MetricNamespace: 'CdkMicroservice/Envoy', MetricName: 'RequestDuration', MetricValue: '$.duration', Unit: 'Milliseconds' });
        // Every field the filter reads is in the line the sidecar writes.
        for (const d of m.Dimensions) expect(field(d.Value)).toBeDefined();
        expect(typeof field(m.MetricValue)).toBe('number');
      }
      const sets = filters.map((f) => f.MetricTransformations[0].Dimensions.map((d: any) => `${d.Key}=${d.Value}`).join(','));
      expect(new Set(sets)).toEqual(new Set(['ClusterName=$.cluster,Caller=$.caller,Backend=$.backend', 'ClusterName=$.cluster,Backend=$.backend']));
    });
  });

  describe('the alarms', () => {
    const o = alarmsOf(t.Orders);
    const edgeIds = ['EdgeServerErrorRate', 'EdgeRetryBudgetExhausted', 'EdgeLatencyP99'];

    test("gives the caller per-edge alarms named <stack>-<name>-<alarm><Backend>, with ejections only for backends with outlierDetection", () => {
      const edges = Object.keys(o).filter((n) => n.includes('-Edge')).sort();
      expect(edges).toEqual([
        ...['Payments', 'Inventory', 'Catalog'].flatMap((b) => edgeIds.map((id) => `Orders-orders-${id}${b}`)),
        'Orders-orders-EdgeEjectionsPayments',
      ].sort());
      expect(Object.keys(alarmsOf(t.Payments)).filter((n) => n.includes('-Edge')).sort())
        .toEqual([...edgeIds, 'EdgeEjections'].map((id) => `Payments-payments-${id}Ledger`).sort());
      // The canary's caller gets no edge alarms for the canary: orders reaches it through payments.
      expect(Object.keys(o).filter((n) => /PaymentsV2$/.test(n))).toEqual([]);
    });

    test("pages on an edge's 5XX through the health alarm, and sends the other edge alarms to the warning topic", () => {
      const rule = healthRule(t.Orders);
      expect(rule).toContain('ALARM("Orders-orders-EdgeServerErrorRatePayments")');
      // Critical: it tells the warning topic only; the health alarm pages.
      expect(JSON.stringify(o['Orders-orders-EdgeServerErrorRatePayments'].AlarmActions)).toMatch(/WarningTopic/);
      expect(JSON.stringify(o['Orders-orders-EdgeServerErrorRatePayments'].AlarmActions)).not.toMatch(/AlarmTopic/);
      for (const n of ['EdgeRetryBudgetExhaustedPayments', 'EdgeLatencyP99Payments', 'EdgeEjectionsPayments']) {
        expect(rule).not.toContain(`Orders-orders-${n}"`);
        expect(JSON.stringify(o[`Orders-orders-${n}`].AlarmActions)).toMatch(/WarningTopic/);
      }
    });

    test("keeps every edge alarm out of the caller's deployment alarms", () => {
      const rollback = deploymentAlarms(t.Orders);
      expect(rollback.filter((n) => n.includes('-Edge'))).toEqual([]);
      expect(deploymentAlarms(t.Payments).filter((n) => n.includes('-Edge'))).toEqual([]);
    });

    test('measures an edge 5XX rate after retries, from the classes 2 to 5 of the sidecar counters', () => {
      const a = o['Orders-orders-EdgeServerErrorRatePayments'];
      const expr = a.Metrics.find((m: any) => m.Expression);
      const stats = a.Metrics.filter((m: any) => m.MetricStat);
      expect(stats).toHaveLength(4);
      const byClass = Object.fromEntries(stats.map((m: any) => [dims(m).envoy_response_code_class, m]));
      expect(Object.keys(byClass).sort()).toEqual(['2', '3', '4', '5']);
      for (const m of stats) {
        expect(m.MetricStat).toMatchObject({ Stat: 'Sum', Period: 300, Metric: { Namespace: 'CdkMicroservice/Envoy', MetricName: 'envoy_cluster_upstream_rq_xx' } });
        expect(dims(m)).toMatchObject({ Backend: 'payments', Caller: 'orders' });
        expect(dims(m)).toHaveProperty('ClusterName');
      }
      const rate = (c: { [cls: string]: number }) => evaluate(expr.Expression, Object.fromEntries(Object.entries(byClass).map(([cls, m]: [string, any]) => [m.Id, c[cls]])));
      expect(rate({ 2: 90, 3: 2, 4: 3, 5: 5 })).toBeCloseTo(5); // 5 of 100 final responses
      expect(rate({ 2: 0, 3: 0, 4: 0, 5: 7 })).toBeCloseTo(100);
      expect(rate({ 2: 0, 3: 0, 4: 0, 5: 0 })).toBe(0); // no traffic is no error
      // Envoy creates a class's counter on its first response of that class: a missing class counts 0.
      expect(evaluate(expr.Expression, { [byClass['2'].Id]: 95, [byClass['3'].Id]: undefined, [byClass['4'].Id]: undefined, [byClass['5'].Id]: 5 })).toBeCloseTo(5);
      expect(expr.Expression).toContain('FILL(');
      expect(a).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, TreatMissingData: 'notBreaching' });
    });

    test("alarms.edges.serverErrorRate on the caller changes the threshold of all its edges; others keep the catalog's", () => {
      for (const b of ['Payments', 'Inventory', 'Catalog']) expect(o[`Orders-orders-EdgeServerErrorRate${b}`].Threshold).toBe(5);
      const defaultThreshold = specOf('edges.serverErrorRate').threshold;
      expect(defaultThreshold).not.toBe(5);
      expect(alarmsOf(t.Payments)['Payments-payments-EdgeServerErrorRateLedger'].Threshold).toBe(defaultThreshold);
    });

    test('counts retries refused by the budget and tasks ejected, per edge', () => {
      const budget = o['Orders-orders-EdgeRetryBudgetExhaustedPayments'];
      expect(budget.MetricName).toBe('envoy_cluster_upstream_rq_retry_overflow');
      expect(budget.Namespace).toBe('CdkMicroservice/Envoy');
      expect(budget.Statistic).toBe('Sum');
      expect(Object.fromEntries(budget.Dimensions.map((d: any) => [d.Name, d.Value]))).toMatchObject({ Caller: 'orders', Backend: 'payments' });
      // Any refusal is news: more than 0 in one period.
      expect(budget).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
      const ejections = o['Orders-orders-EdgeEjectionsPayments'];
      expect(ejections.MetricName).toBe('envoy_cluster_outlier_detection_ejections_enforced_total');
      expect(Object.fromEntries(ejections.Dimensions.map((d: any) => [d.Name, d.Value]))).toMatchObject({ Caller: 'orders', Backend: 'payments' });
    });

    test("the edge latency alarm reads the edge metric filter's dimensions", () => {
      const latency = o['Orders-orders-EdgeLatencyP99Payments'];
      expect(latency).toMatchObject({ Namespace: 'CdkMicroservice/Envoy', MetricName: 'RequestDuration', ExtendedStatistic: 'p99' });
      const edgeFilter = Object.values<any>(t.Orders.findResources('AWS::Logs::MetricFilter'))
        .map((f) => f.Properties.MetricTransformations[0]).find((m) => m.Dimensions.length === 3);
      expect(latency.Dimensions.map((d: any) => d.Name).sort()).toEqual(edgeFilter.Dimensions.map((d: any) => d.Key).sort());
      expect(Object.fromEntries(latency.Dimensions.map((d: any) => [d.Name, d.Value]))).toMatchObject({ Caller: 'orders', Backend: 'payments' });
    });

    test("gives the callee MeshServerErrorRate (critical, rolls its deployments back) over every caller's sidecar", () => {
      const p = alarmsOf(t.Payments)['Payments-payments-MeshServerErrorRate'];
      const stats = p.Metrics.filter((m: any) => m.MetricStat);
      expect(stats).toHaveLength(4);
      for (const m of stats) {
        expect(m.MetricStat.Metric).toMatchObject({ Namespace: 'CdkMicroservice/Envoy', MetricName: 'envoy_cluster_upstream_rq_xx' });
        // Every caller: by ClusterName and Backend, no Caller.
        expect(Object.keys(dims(m)).sort()).toEqual(['Backend', 'ClusterName', 'envoy_response_code_class']);
        expect(dims(m).Backend).toBe('payments');
      }
      expect(healthRule(t.Payments)).toContain('ALARM("Payments-payments-MeshServerErrorRate")');
      expect(deploymentAlarms(t.Payments)).toContain('Payments-payments-MeshServerErrorRate');
      expect(deploymentAlarms(t.Ledger)).toContain('Ledger-ledger-MeshServerErrorRate');
      // The canary's own errors roll the canary back.
      expect(deploymentAlarms(t.PaymentsV2)).toContain('PaymentsV2-payments-v2-MeshServerErrorRate');
      expect(dims(alarmsOf(t.PaymentsV2)['PaymentsV2-payments-v2-MeshServerErrorRate'].Metrics.find((m: any) => m.MetricStat)).Backend).toBe('payments-v2');
    });

    test("gives the callee MeshLatencyP99 (warning) on the backend metric filter's dimensions", () => {
      const l = alarmsOf(t.Payments)['Payments-payments-MeshLatencyP99'];
      expect(l).toMatchObject({ Namespace: 'CdkMicroservice/Envoy', MetricName: 'RequestDuration', ExtendedStatistic: 'p99' });
      expect(Object.keys(Object.fromEntries(l.Dimensions.map((d: any) => [d.Name, d.Value]))).sort()).toEqual(['Backend', 'ClusterName']);
      expect(JSON.stringify(l.AlarmActions)).toMatch(/WarningTopic/);
      expect(deploymentAlarms(t.Payments)).not.toContain('Payments-payments-MeshLatencyP99');
      expect(healthRule(t.Payments)).not.toContain('MeshLatencyP99');
    });

    test('has no Service Connect alarm on Envoy', () => {
      for (const tt of Object.values(t)) {
        expect(Object.keys(alarmsOf(tt)).filter((n) => /-MeshServerErrors$|-MeshLatency$/.test(n))).toEqual([]);
        expect(JSON.stringify(tt.toJSON())).not.toContain('TargetDiscoveryName');
      }
    });
  });

  describe('the dashboards', () => {
    const edgeTitles = (caller: string, backend: string) => [
      `${caller} -> ${backend}: requests and 5XX`,
      `${caller} -> ${backend}: retries, refused by budget and bulkhead`,
      `${caller} -> ${backend}: tasks ejected`,
      `${caller} -> ${backend}: p99 time (ms)`,
    ];

    test("the caller's dashboard has a row per edge", () => {
      const widgets = dashboardOf(t.Orders).widgets;
      const names = titles(widgets);
      for (const b of ['payments', 'inventory', 'catalog']) expect(names).toEqual(expect.arrayContaining(edgeTitles('orders', b)));
      expect(titles(dashboardOf(t.Payments).widgets)).toEqual(expect.arrayContaining(edgeTitles('payments', 'ledger')));
      // One row: the four graphs of an edge share a y coordinate.
      const ys = new Set(widgets.filter((w: any) => edgeTitles('orders', 'payments').includes(w.properties.title)).map((w: any) => w.y));
      expect(ys.size).toBe(1);
      expect(titles(dashboardOf(t.Ledger).widgets).filter((n) => n.includes(' -> '))).toEqual([]);
    });

    test('service.widgets() includes the edge rows', () => {
      const json = JSON.stringify(orders.widgets().map((w) => Stack.of(orders).resolve(w.toJson())));
      for (const title of edgeTitles('orders', 'payments')) expect(json).toContain(JSON.stringify(title));
    });

    test('the edge graphs read the counters the collector keeps', () => {
      const json = JSON.stringify(dashboardOf(t.Orders));
      for (const m of ['envoy_cluster_upstream_rq_total', 'envoy_cluster_upstream_rq_retry', 'envoy_cluster_upstream_rq_retry_overflow', 'envoy_cluster_upstream_rq_pending_overflow']) {
        expect(json).toContain(`"${m}"`);
      }
    });

    // The dashboard is built in ServiceMonitoring's constructor, before connectTo adds the edges: its
    // alarm-status widget reads the service's alarms when it renders, so the edge alarms show.
    test("the caller's dashboard alarm-status widget lists its edge alarms", () => {
      const status = dashboardOf(t.Orders).widgets.find((w: any) => w.type === 'alarm');
      const edgeAlarms = Object.values<any>(t.Orders.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.AlarmName.includes('-Edge'));
      expect(edgeAlarms.length).toBeGreaterThan(0);
      expect(status.properties.alarms).toHaveLength(Object.keys(alarmsOf(t.Orders)).length + 1); // + the health alarm
    });
  });

  describe('warnings and the call graph', () => {
    test('warns nothing about retryPolicy, outlierDetection or connectionPool: Envoy honours them', () => {
      for (const s of [stacks.Payments, stacks.Ledger, stacks.Orders]) annotationsOf(s).hasNoWarning('*', Match.anyValue());
    });

    test('no envoyRetriesCut warning when requestTimeout equals (maxRetries + 1) x perRetryTimeout', () => {
      // catalog: 6 s = 3 x 2 s, the boundary.
      annotationsOf(stacks.Catalog).hasNoWarning('*', Match.stringLikeRegexp('requestTimeout'));
    });

    test("reports how Envoy enforces each callee's retries, service by service and along each path", () => {
      const report = ServiceCallGraph.of(app).report();
      const of = (name: string) => report.services.find((s) => s.name === name)!.retriesEnforced!;
      const budget = 'capped by a retry budget of 20 % of the requests in flight (at least 3)';
      const backoff = 'jittered back-off 0.025s to 0.25s';
      const paymentsRetryOn = routeOf(ordersBoot, 'payments').route.retry_policy.retry_on;
      expect(of('payments')).toBe(`as described: up to 2 retries on ${paymentsRetryOn}, 1.5s each, to another task, ${backoff}, within the 5s request timeout, ${budget}`);
      const ledgerRetryOn = routeOf(paymentsBoot, 'ledger').route.retry_policy.retry_on;
      expect(of('ledger')).toBe(`as described: up to 1 retry on ${ledgerRetryOn}, 0.8s each, to another task, ${backoff}, within the 2s request timeout, ${budget}`);
      expect(of('inventory')).toBe('none (RetryPolicy.none())');
      const path = report.paths.find((p) => p.services.join('>') === 'orders>payments>ledger')!;
      expect(path.amplification).toBe(3 * 2);
      expect(path.retriesEnforced).toEqual([`payments: ${of('payments')}`, `ledger: ${of('ledger')}`]);
      expect(report.paths.find((p) => p.services.join('>') === 'orders>inventory')!.retriesEnforced).toEqual(['inventory: none (RetryPolicy.none())']);
      expect(report.paths.find((p) => p.services.join('>') === 'payments-v2>ledger')!.retriesEnforced).toEqual([`ledger: ${of('ledger')}`]);
      expect(report.violations).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Retry events, one backend each
// ---------------------------------------------------------------------------------------------

describe("App Mesh's retry events in Envoy's retry_on", () => {
  const app = testApp();
  const stack = new Stack(app, 'S');
  const platform = new MicroservicePlatform(stack, 'Platform', { mesh: ServiceMesh.envoy() });
  const caller = new Microservice(stack, 'Caller', { platform, image: IMAGE, requestTimeout: Duration.seconds(15) });
  const backend = (id: string, retryPolicy: RetryPolicy) => {
    const b = new Microservice(stack, id, { platform, image: IMAGE, retryPolicy });
    caller.connectTo(b);
    return b.discoveryName;
  };
  const http = (e: HttpRetryEvent, tcp: TcpRetryEvent[] = []) => RetryPolicy.http({ httpRetryEvents: [e], tcpRetryEvents: tcp });
  const cases: Array<[string, string, string[]]> = [
    // App Mesh's server-error (HTTP 500-511) and gateway-error (502-504) include resets.
    ['server-error', backend('ServerError', http(HttpRetryEvent.SERVER_ERROR)), ['5xx', 'reset']],
    ['gateway-error', backend('GatewayError', http(HttpRetryEvent.GATEWAY_ERROR)), ['gateway-error', 'reset']],
    // client-error is HTTP 409: Envoy's retriable-4xx.
    ['client-error', backend('ClientError', http(HttpRetryEvent.CLIENT_ERROR)), ['retriable-4xx']],
    ['stream-error', backend('StreamError', http(HttpRetryEvent.STREAM_ERROR)), ['refused-stream']],
    ['server-error + tcp connection-error', backend('WithTcp', http(HttpRetryEvent.SERVER_ERROR, [TcpRetryEvent.CONNECTION_ERROR])), ['5xx', 'reset', 'connect-failure']],
    ...Object.values(GrpcRetryEvent).map((e): [string, string, string[]] => [
      `gRPC ${e}`, backend(`Grpc${e.replace(/-/g, '')}`, RetryPolicy.grpc({ grpcRetryEvents: [e], tcpRetryEvents: [] })), [e],
    ]),
  ];
  const boot = bootstrapOf(caller);

  test.each(cases)('%s retries on exactly the Envoy conditions it means', (_event, name, conditions) => {
    expect(retryOnSet(routeOf(boot, name))).toEqual(new Set(conditions));
  });

  test('connection-error adds connect-failure and nothing else', () => {
    const without = retryOnSet(routeOf(boot, 'server-error'));
    const withTcp = retryOnSet(routeOf(boot, 'with-tcp'));
    expect([...withTcp].filter((c) => !without.has(c))).toEqual(['connect-failure']);
  });

  test("Envoy's gRPC conditions carry App Mesh's gRPC event names", () => {
    const envoyGrpcConditions = ['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'];
    expect(Object.values(GrpcRetryEvent).sort()).toEqual(envoyGrpcConditions);
  });

  test("a bootstrap with a backend per event passes Envoy's protos", () => {
    expect(listeners(boot)).toHaveLength(cases.length);
    expect(checkEnvoyBootstrap(detoken(boot))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Envoy's v3 protos
// ---------------------------------------------------------------------------------------------

describe("the bootstraps against Envoy's v3 protos", () => {
  test('every sidecar bootstrap of examples/envoy/app.ts is valid', () => {
    const app = buildEnvoyExample(testApp());
    const services = everyMicroservice(app);
    const withSidecar = services.filter((s) => listeners(bootstrapOf(s)).length > 0);
    // The example's callers: orders (-> payments), payments and paymentsV2 (-> ledger).
    expect(withSidecar.map((s) => s.discoveryName).sort()).toEqual(['orders', 'payments', 'payments-v2']);
    for (const s of withSidecar) expect(checkEnvoyBootstrap(detoken(bootstrapOf(s)))).toEqual([]);
    // The canary is in orders' bootstrap: weighted routing is checked too.
    const orders = withSidecar.find((s) => s.discoveryName === 'orders')!;
    expect(routeOf(bootstrapOf(orders), 'payments').route.weighted_clusters.clusters.map((c: any) => c.weight)).toEqual([90, 10]);
  });

  /** A platform with every Envoy option set, a callee with every description set, and a canary. */
  function everything(options: EnvoyMeshOptions, callee: { [k: string]: any }, percent: number) {
    const app = testApp();
    const stack = new Stack(app, 'S');
    const platform = new MicroservicePlatform(stack, 'Platform', { mesh: ServiceMesh.envoy(options) });
    const all = { httpRetryEvents: Object.values(HttpRetryEvent), tcpRetryEvents: [TcpRetryEvent.CONNECTION_ERROR], grpcRetryEvents: Object.values(GrpcRetryEvent) };
    const { retry, ...rest } = callee;
    const props = { platform, image: IMAGE, ...rest, retryPolicy: RetryPolicy.grpc({ ...all, ...retry }) };
    const backend = new Microservice(stack, 'Backend', props);
    const canary = new Microservice(stack, 'Canary', props);
    const caller = new Microservice(stack, 'Caller', { platform, image: IMAGE, requestTimeout: Duration.hours(1) });
    caller.connectTo(backend);
    backend.routeCanary(canary, percent);
    return { app, stack, boot: bootstrapOf(caller), caller };
  }

  const low = everything({
    retryBudget: { budgetPercent: 1, minRetryConcurrency: 1 }, retryBackoffBase: Duration.millis(1), retryBackoffMax: Duration.millis(1),
    connectTimeout: Duration.millis(1), egressPortBase: 1024, cpu: 32, memoryReservationMiB: 32,
  }, {
    retry: { maxRetries: 1, perRetryTimeout: Duration.millis(1) }, requestTimeout: Duration.millis(1), idleTimeout: Duration.seconds(1),
    outlierDetection: { maxServerErrors: 1, interval: Duration.millis(1), baseEjectionDuration: Duration.millis(1), maxEjectionPercent: 0 },
    connectionPool: { maxConnections: 1, maxPendingRequests: 1, maxRequests: 1 },
  }, 1);
  const high = everything({
    retryBudget: { budgetPercent: 100, minRetryConcurrency: 1000 }, retryBackoffBase: Duration.seconds(10), retryBackoffMax: Duration.seconds(60),
    connectTimeout: Duration.seconds(60), egressPortBase: 65000, version: 'v1.39.1', accessLogs: true,
  }, {
    protocol: ServiceProtocol.GRPC, containerPort: 65535,
    retry: { maxRetries: 10, perRetryTimeout: Duration.hours(1) }, requestTimeout: Duration.hours(1), idleTimeout: Duration.hours(1),
    outlierDetection: { maxServerErrors: 1_000_000, interval: Duration.hours(1), baseEjectionDuration: Duration.hours(1), maxEjectionPercent: 100 },
    connectionPool: { maxConnections: 1_000_000, maxPendingRequests: 1_000_000, maxRequests: 1_000_000 },
  }, 99);

  test.each([['lowest', low], ['highest', high]])('a bootstrap with every option at its %s value is valid', (_n, x) => {
    expect(checkEnvoyBootstrap(detoken(x.boot))).toEqual([]);
  });

  test('the options reach the bootstrap at both ends', () => {
    const r = (b: any) => routeOf(b, 'backend').route;
    const c = (b: any) => cluster(b, 'backend');
    expect(r(low.boot).retry_policy.retry_back_off).toEqual({ base_interval: '0.001s', max_interval: '0.001s' });
    expect(r(high.boot).retry_policy.retry_back_off).toEqual({ base_interval: '10s', max_interval: '60s' });
    expect(c(low.boot).connect_timeout).toBe('0.001s');
    expect(c(high.boot).connect_timeout).toBe('60s');
    expect(thresholds(c(low.boot)).retry_budget).toEqual({ budget_percent: { value: 1 }, min_retry_concurrency: 1 });
    expect(thresholds(c(high.boot)).retry_budget).toEqual({ budget_percent: { value: 100 }, min_retry_concurrency: 1000 });
    expect(listeners(low.boot)[0].address.socket_address.port_value).toBe(1024);
    expect(listeners(high.boot)[0].address.socket_address.port_value).toBe(65000);
    expect(r(low.boot).weighted_clusters.clusters.map((x: any) => x.weight)).toEqual([99, 1]);
    expect(r(high.boot).weighted_clusters.clusters.map((x: any) => x.weight)).toEqual([1, 99]);
    expect(r(low.boot)).toMatchObject({ timeout: '0.001s', idle_timeout: '1s', retry_policy: { num_retries: 1, per_try_timeout: '0.001s' } });
    expect(r(high.boot)).toMatchObject({ timeout: '3600s', idle_timeout: '3600s', retry_policy: { num_retries: 10, per_try_timeout: '3600s' } });
    expect(c(low.boot).outlier_detection).toEqual({ consecutive_5xx: 1, interval: '0.001s', base_ejection_time: '0.001s', max_ejection_percent: 0 });
    expect(thresholds(c(high.boot))).toMatchObject({ max_connections: 1_000_000, max_pending_requests: 1_000_000, max_requests: 1_000_000 });
    expect(c(high.boot).load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value).toBe(65535);
    // Every App Mesh event at once: every Envoy condition, each once.
    expect(retryOnSet(routeOf(high.boot, 'backend'))).toEqual(new Set([
      '5xx', 'reset', 'gateway-error', 'retriable-4xx', 'refused-stream', 'connect-failure', ...Object.values(GrpcRetryEvent),
    ]));
    expect(envOf(Template.fromStack(low.stack)).BACKEND_URL).toBe('http://127.0.0.1:1024');
  });

  test('the image, cpu and memory options reach the sidecar', () => {
    const envoy = containersOf(Template.fromStack(low.stack)).find((x) => x.Name === 'envoy');
    expect(envoy).toMatchObject({ Cpu: 32, MemoryReservation: 32 });
    // The platform's copy (platform and services share one stack here).
    expect(Object.values<any>(Template.fromStack(low.stack).findResources('Custom::ImageMirror')).map((r) => r.Properties.SourceImage))
      .toEqual([`docker.io/envoyproxy/envoy:${DEFAULT_ENVOY_VERSION}`]);
  });

  test('fails the check on an unknown field added to a generated bootstrap (negative control)', () => {
    const boot = detoken(low.boot);
    expect(checkEnvoyBootstrap(boot)).toEqual([]);
    const typo = JSON.parse(JSON.stringify(boot));
    typo.static_resources.clusters[0].circuit_breaker = { thresholds: [] };
    expect(checkEnvoyBootstrap(typo)).toEqual([expect.stringMatching(/unknown field "circuit_breaker"/)]);
    const nested = JSON.parse(JSON.stringify(boot));
    hcm(nested.static_resources.listeners[0]).route_config.virtual_hosts[0].routes[0].route.retry_policy.num_retry = 2;
    expect(checkEnvoyBootstrap(nested).join('\n')).toMatch(/unknown field "num_retry"/);
  });
});

// ---------------------------------------------------------------------------------------------
// Smaller apps: defaults derived, access logs off, egressPortBase, pull-through cache, Service Connect
// ---------------------------------------------------------------------------------------------

describe('options of ServiceMesh.envoy()', () => {
  test("retryBackoffMax defaults to 10 x retryBackoffBase, Envoy's own default", () => {
    const { caller } = pair(ServiceMesh.envoy({ retryBackoffBase: Duration.millis(100) }), { retryPolicy: RetryPolicy.http() });
    expect(routeOf(bootstrapOf(caller), 'backend').route.retry_policy.retry_back_off).toEqual({ base_interval: '0.1s', max_interval: '1s' });
  });

  test('retryBackoffMax alone keeps the default base', () => {
    const { caller } = pair(ServiceMesh.envoy({ retryBackoffMax: Duration.seconds(2) }), { retryPolicy: RetryPolicy.http() });
    expect(routeOf(bootstrapOf(caller), 'backend').route.retry_policy.retry_back_off).toEqual({ base_interval: '0.025s', max_interval: '2s' });
  });

  test('egressPortBase moves every listener and URL', () => {
    const app = testApp();
    const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh: ServiceMesh.envoy({ egressPortBase: 20000 }) });
    const stack = new Stack(app, 'S');
    const a = new Microservice(stack, 'A', { platform, image: IMAGE });
    const b = new Microservice(stack, 'B', { platform, image: IMAGE });
    const caller = new Microservice(stack, 'Caller', { platform, image: IMAGE });
    caller.connectTo(a);
    caller.connectTo(b);
    const env = envOf(Template.fromStack(stack));
    expect(env).toMatchObject({ A_URL: 'http://127.0.0.1:20000', B_URL: 'http://127.0.0.1:20001' });
    expect(listeners(bootstrapOf(caller)).map((l) => l.address.socket_address.port_value)).toEqual([20000, 20001]);
  });

  test('the sidecar cpu and memory are overridable', () => {
    const { stack } = pair(ServiceMesh.envoy({ cpu: 256, memoryReservationMiB: 64 }));
    expect(containerOf(Template.fromStack(stack), 'envoy')).toMatchObject({ Cpu: 256, MemoryReservation: 64 });
  });

  test('an image of your own replaces envoyproxy/envoy', () => {
    const { stack } = pair(ServiceMesh.envoy({ image: ecs.ContainerImage.fromRegistry('registry.example.com/envoy:v1.40.2-custom') }));
    expect(containerOf(Template.fromStack(stack), 'envoy').Image).toBe('registry.example.com/envoy:v1.40.2-custom');
  });

  test('metricsCollectorImage replaces the collector image', () => {
    const { stack } = pair(ServiceMesh.envoy({ metricsCollectorImage: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.50.0' }));
    expect(containerOf(Template.fromStack(stack), 'envoy-metrics').Image).toBe('public.ecr.aws/aws-observability/aws-otel-collector:v0.50.0');
  });

  describe('accessLogs: false', () => {
    const { stack, caller, backend } = pair(ServiceMesh.envoy({ accessLogs: false }), { outlierDetection: OUTLIER });
    const t = Template.fromStack(stack);
    const names = Object.keys(alarmsOf(t));

    test('removes the access log from every listener', () => {
      for (const l of listeners(bootstrapOf(caller))) expect(hcm(l)).not.toHaveProperty('access_log');
      expect(checkEnvoyBootstrap(detoken(bootstrapOf(caller)))).toEqual([]);
    });

    test('removes the duration metric filters and both latency alarms, keeping the counter alarms', () => {
      t.resourceCountIs('AWS::Logs::MetricFilter', 0);
      expect(names.filter((n) => /LatencyP99/.test(n))).toEqual([]);
      expect(names).toEqual(expect.arrayContaining(['S-caller-EdgeServerErrorRateBackend', 'S-caller-EdgeRetryBudgetExhaustedBackend', 'S-caller-EdgeEjectionsBackend', 'S-backend-MeshServerErrorRate']));
    });

    test('keeps the collector, and the dashboard says why there is no edge latency', () => {
      expect(containerOf(t, 'envoy-metrics')).toBeDefined();
      const json = JSON.stringify(caller.widgets().map((w) => Stack.of(caller).resolve(w.toJson())));
      expect(json).toContain('caller -> backend: time');
      expect(json).toContain('accessLogs: false');
      expect(json).not.toContain('caller -> backend: p99 time (ms)');
      expect(backend.discoveryName).toBe('backend');
    });
  });

  describe('the image: the platform\'s copy by default, never Docker Hub anonymously from the tasks', () => {
    const platformOf = (mesh: ServiceMesh, service: object = {}) => {
      const app = testApp();
      const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh });
      const stack = new Stack(app, 'S');
      const backend = new Microservice(stack, 'Backend', { platform, image: IMAGE });
      const caller = new Microservice(stack, 'Caller', { platform, image: IMAGE, ...service });
      caller.connectTo(backend);
      return { platform: Template.fromStack(Stack.of(platform)), stack, t: Template.fromStack(stack) };
    };
    const warnings = (stack: Stack) => annotationsOf(stack).findWarning('*', Match.stringLikeRegexp('dockerHubAnonymousPull'));

    test('copies envoyproxy/envoy:<version> into an ECR repository of the platform\'s at deploy, once, and no task pulls Docker Hub', () => {
      const { platform, stack, t } = platformOf(ServiceMesh.envoy());
      const mirrors = Object.values<any>(platform.findResources('Custom::ImageMirror'));
      expect(mirrors.map((m) => m.Properties.SourceImage)).toEqual([`docker.io/envoyproxy/envoy:${DEFAULT_ENVOY_VERSION}`]);
      expect(mirrors[0].Properties.CredentialSecretArn).toBeUndefined();
      platform.resourceCountIs('AWS::ECR::Repository', 1);
      expect(JSON.stringify(containerOf(t, 'envoy').Image)).toMatch(/ImageMirrorEnvoy[^"]*ImageUri/);
      expect(warnings(stack)).toEqual([]);
      const older = platformOf(ServiceMesh.envoy({ version: 'v1.39.1' })).platform.findResources('Custom::ImageMirror');
      expect(Object.values<any>(older).map((m) => m.Properties.SourceImage)).toEqual(['docker.io/envoyproxy/envoy:v1.39.1']);
    });

    test('the copy pulls with dockerHubCredential when given', () => {
      const app = testApp();
      const secretStack = new Stack(app, 'Secrets');
      const secret = secretsmanager.Secret.fromSecretNameV2(secretStack, 'Hub', 'ecr-mirror/docker-hub');
      const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh: ServiceMesh.envoy({ dockerHubCredential: secret }) });
      const [mirror] = Object.values<any>(Template.fromStack(Stack.of(platform)).findResources('Custom::ImageMirror'));
      expect(JSON.stringify(mirror.Properties.CredentialSecretArn)).toContain('ecr-mirror/docker-hub');
    });

    test('no copy with an image of your own or a pull-through cache of your own', () => {
      platformOf(ServiceMesh.envoy({ image: ecs.ContainerImage.fromRegistry('123456789012.dkr.ecr.eu-west-1.amazonaws.com/envoy:v1.40.2') })).platform.resourceCountIs('Custom::ImageMirror', 0);
      platformOf(ServiceMesh.envoy({ pullThroughCachePrefix: 'docker-hub' })).platform.resourceCountIs('Custom::ImageMirror', 0);
      platformOf(ServiceMesh.serviceConnect()).platform.resourceCountIs('Custom::ImageMirror', 0);
    });

    test('warns (dockerHubAnonymousPull) for an Envoy image or an app image pulled from Docker Hub without credentials, naming the container', () => {
      const { stack } = platformOf(ServiceMesh.envoy({ image: ecs.ContainerImage.fromRegistry('envoyproxy/envoy:v1.40.2') }),
        { image: ecs.ContainerImage.fromRegistry('nginx:1.27') });
      const found = warnings(stack).map((w) => w.entry.data as string);
      expect(found).toEqual(expect.arrayContaining([
        expect.stringMatching(/^The envoy container pulls envoyproxy\/envoy:v1\.40\.2 from Docker Hub without credentials: Docker Hub allows 10 anonymous pulls per hour per address/),
        expect.stringMatching(/^The app container pulls nginx:1\.27 from Docker Hub without credentials/),
      ]));
      expect(found).toHaveLength(2);
    });

    test('warns nothing for Docker Hub with credentials, or for ECR Public and private registries', () => {
      const secret = (s: Stack) => secretsmanager.Secret.fromSecretNameV2(s, 'Hub', 'docker-hub');
      const app = testApp();
      const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
      const stack = new Stack(app, 'S');
      new Microservice(stack, 'A', { platform, image: ecs.ContainerImage.fromRegistry('nginx:1.27', { credentials: secret(stack) }) });
      new Microservice(stack, 'B', { platform, image: ecs.ContainerImage.fromRegistry('ghcr.io/org/app:1.0') });
      new Microservice(stack, 'C', { platform, image: IMAGE });
      Template.fromStack(stack);
      expect(warnings(stack)).toEqual([]);
    });
  });

  describe('pullThroughCachePrefix', () => {
    const { stack, caller, backend } = pair(ServiceMesh.envoy({ pullThroughCachePrefix: 'docker-hub' }));
    const t = Template.fromStack(stack);

    test('pulls envoyproxy/envoy through the cache in the account and region of the stack', () => {
      expect(containerOf(t, 'envoy').Image).toEqual({
        'Fn::Join': ['', [{ Ref: 'AWS::AccountId' }, '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, `/docker-hub/envoyproxy/envoy:${DEFAULT_ENVOY_VERSION}`]],
      });
    });

    test('with version, pulls that tag', () => {
      const x = pair(ServiceMesh.envoy({ pullThroughCachePrefix: 'hub', version: 'v1.38.0' }));
      expect(joined(containerOf(Template.fromStack(x.stack), 'envoy').Image)).toBe(`${TOKEN}.dkr.ecr.${TOKEN}.${TOKEN}/hub/envoyproxy/envoy:v1.38.0`);
    });

    test("gives the caller's execution role a separate policy: a token anywhere, pull and import on the cached repository only", () => {
      const executionRole = logicalId(caller.taskDefinition.executionRole!);
      const policies = Object.values<any>(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes('ecr:'));
      expect(policies).toHaveLength(1);
      const p = policies[0].Properties;
      expect(p.Roles).toEqual([{ Ref: executionRole }]);
      expect(p.PolicyName).not.toMatch(/DefaultPolicy/);
      const statements: any[] = p.PolicyDocument.Statement;
      expect(statements).toContainEqual({ Action: 'ecr:GetAuthorizationToken', Effect: 'Allow', Resource: '*' });
      const pull = statements.find((s) => s.Action !== 'ecr:GetAuthorizationToken');
      expect([pull.Action].flat()).toEqual(expect.arrayContaining(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository']));
      expect(joined(pull.Resource)).toBe(`arn:${TOKEN}:ecr:${TOKEN}:${TOKEN}:repository/docker-hub/envoyproxy/envoy`);
      expect(statements).toHaveLength(2);
    });

    test('only a caller gets the pull policy: the backend pulls nothing from the cache', () => {
      const backendRole = logicalId(backend.taskDefinition.executionRole!);
      for (const p of Object.values<any>(t.findResources('AWS::IAM::Policy')).filter((x) => JSON.stringify(x).includes('ecr:'))) {
        expect(p.Properties.Roles).not.toContainEqual({ Ref: backendRole });
      }
    });

    // ECR repository names (and so `<prefix>/envoyproxy/envoy`) must match
    // (?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)* (ECR API reference):
    // 'docker-hub/' would yield 'docker-hub//envoyproxy/envoy', which no cache rule can serve.
    test.each(['docker-hub/', 'docker--hub', '-hub', 'hub.', 'a//b'])("fails on the prefix %j, which makes no valid ECR repository name", (prefix) => {
      expect(() => ServiceMesh.envoy({ pullThroughCachePrefix: prefix })).toThrow(`pullThroughCachePrefix must be an ECR repository prefix of 2 to 30 characters such as "docker-hub" (lower-case letters and digits, separated by single ".", "_", "-" or "/"), got ${JSON.stringify(prefix)}`);
    });
    test.each(['ab', 'docker-hub', 'team/docker.hub', 'a_b-c.d/e'])('accepts the prefix %j', (prefix) => {
      expect(() => ServiceMesh.envoy({ pullThroughCachePrefix: prefix })).not.toThrow();
    });
  });
});

describe('ServiceMesh.serviceConnect() beside it', () => {
  const { stack, caller, backend } = pair(ServiceMesh.serviceConnect(), {
    retryPolicy: RetryPolicy.http(), outlierDetection: OUTLIER, connectionPool: { maxConnections: 10 },
  });
  const t = Template.fromStack(stack);
  const a = alarmsOf(t);

  test('a service gets MeshServerErrors and MeshLatency as plain metric alarms on its Service Connect name (not Metrics Insights: 200 a region at most)', () => {
    const errors = a['S-backend-MeshServerErrors'];
    const latency = a['S-backend-MeshLatency'];
    const dims = [{ Name: 'TargetDiscoveryName', Value: `${backend.discoveryName}-sc` }];
    expect(errors).toMatchObject({ Namespace: 'AWS/ECS', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: dims, Statistic: 'Sum', Period: 300 });
    expect(latency).toMatchObject({ Namespace: 'AWS/ECS', MetricName: 'TargetResponseTime', Dimensions: dims, Statistic: 'Average' });
    expect(errors.Metrics).toBeUndefined();
    expect(deploymentAlarms(t)).toEqual(expect.arrayContaining(['S-backend-MeshServerErrors', 'S-caller-MeshServerErrors']));
  });

  test('has no Envoy alarm, sidecar or collector, and hands out the Service Connect alias instead of a local listener', () => {
    expect(Object.keys(a).filter((n) => /MeshServerErrorRate|MeshLatencyP99|-Edge/.test(n))).toEqual([]);
    const tasks = Object.values<any>(t.findResources('AWS::ECS::TaskDefinition')).map((d) => d.Properties.ContainerDefinitions);
    for (const cs of tasks) expect(cs.map((x: any) => x.Name)).toEqual(['app']);
    const callerEnv = tasks.map((cs) => Object.fromEntries((cs[0].Environment ?? []).map((e: any) => [e.Name, e.Value]))).find((e) => e.BACKEND_URL);
    expect(callerEnv!.BACKEND_URL).toBe(`http://${backend.discoveryName}:${backend.containerPort}`);
    expect(caller.discoveryName).toBe('caller');
  });

  test('warns for retryPolicy, outlierDetection and connectionPool, naming ServiceMesh.envoy() as the way to honour them', () => {
    const ann = annotationsOf(stack);
    for (const field of ['retryPolicy', 'outlierDetection', 'connectionPool']) {
      ann.hasWarning('/S/Backend', Match.stringLikeRegexp(`^${field} is not honoured by ECS Service Connect .*ServiceMesh\\.envoy\\(\\) on the platform honours it`));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

describe('validation of ServiceMesh.envoy() options', () => {
  const err = (line: string) => `Invalid props for ServiceMesh.envoy:\n  - ${line}`;
  const image = ecs.ContainerImage.fromRegistry('envoyproxy/envoy:v1.40.2');
  const hubSecret = secretsmanager.Secret.fromSecretNameV2(new Stack(), 'Hub', 'docker-hub');

  test.each<[string, EnvoyMeshOptions, string]>([
    ['image with pullThroughCachePrefix', { image, pullThroughCachePrefix: 'docker-hub' },
      'image and pullThroughCachePrefix are mutually exclusive (the cache serves the official image): give one or neither, got both'],
    ['image with version', { image, version: 'v1.40.2' }, 'image and version are mutually exclusive (an image names its own version): give one or neither, got both'],
    ['image with dockerHubCredential', { image, dockerHubCredential: hubSecret },
      "image and dockerHubCredential are mutually exclusive (the credential is for the platform's copy of the official image): give one or neither, got both"],
    ['pullThroughCachePrefix with dockerHubCredential', { pullThroughCachePrefix: 'docker-hub', dockerHubCredential: hubSecret },
      'pullThroughCachePrefix and dockerHubCredential are mutually exclusive (your cache rule holds its own credential): give one or neither, got both'],
    ['a version that is not a release tag', { version: '1.40.2' }, 'version must be an envoyproxy/envoy release tag such as "v1.40.2", got "1.40.2"'],
    ['a version with a suffix', { version: 'v1.40.2-distroless' }, 'version must be an envoyproxy/envoy release tag such as "v1.40.2", got "v1.40.2-distroless"'],
    ['an upper-case prefix', { pullThroughCachePrefix: 'Docker-Hub' },
      'pullThroughCachePrefix must be an ECR repository prefix of 2 to 30 characters such as "docker-hub" (lower-case letters and digits, separated by single ".", "_", "-" or "/"), got "Docker-Hub"'],
    ['a 1-character prefix', { pullThroughCachePrefix: 'd' },
      'pullThroughCachePrefix must be an ECR repository prefix of 2 to 30 characters such as "docker-hub" (lower-case letters and digits, separated by single ".", "_", "-" or "/"), got "d"'],
    ['a 31-character prefix', { pullThroughCachePrefix: 'a'.repeat(31) },
      `pullThroughCachePrefix must be an ECR repository prefix of 2 to 30 characters such as "docker-hub" (lower-case letters and digits, separated by single ".", "_", "-" or "/"), got "${'a'.repeat(31)}"`],
    ['an empty collector image', { metricsCollectorImage: ' ' }, 'metricsCollectorImage must not be empty, got " "'],
    ['cpu 31', { cpu: 31 }, 'cpu must be an integer between 32 and 4096, got 31'],
    ['cpu 4097', { cpu: 4097 }, 'cpu must be an integer between 32 and 4096, got 4097'],
    ['a fractional cpu', { cpu: 64.5 }, 'cpu must be an integer between 32 and 4096, got 64.5'],
    ['memoryReservationMiB 31', { memoryReservationMiB: 31 }, 'memoryReservationMiB must be an integer between 32 and 8192, got 31'],
    ['memoryReservationMiB 8193', { memoryReservationMiB: 8193 }, 'memoryReservationMiB must be an integer between 32 and 8192, got 8193'],
    ['budgetPercent below 1', { retryBudget: { budgetPercent: 0.99 } }, 'retryBudget.budgetPercent must be between 1 and 100, got 0.99'],
    ['budgetPercent above 100', { retryBudget: { budgetPercent: 100.5 } }, 'retryBudget.budgetPercent must be between 1 and 100, got 100.5'],
    ['minRetryConcurrency 0', { retryBudget: { minRetryConcurrency: 0 } }, 'retryBudget.minRetryConcurrency must be an integer between 1 and 1000, got 0'],
    ['minRetryConcurrency 1001', { retryBudget: { minRetryConcurrency: 1001 } }, 'retryBudget.minRetryConcurrency must be an integer between 1 and 1000, got 1001'],
    ['retryBackoffBase 0', { retryBackoffBase: Duration.millis(0) }, 'retryBackoffBase must be between 1 ms and 10 s, got 0 ms'],
    ['retryBackoffBase above 10 s', { retryBackoffBase: Duration.millis(10_001), retryBackoffMax: Duration.seconds(60) }, 'retryBackoffBase must be between 1 ms and 10 s, got 10001 ms'],
    ['retryBackoffMax 0', { retryBackoffMax: Duration.millis(0) }, 'retryBackoffMax must be between 1 ms and 60 s, got 0 ms'],
    ['retryBackoffMax above 60 s', { retryBackoffMax: Duration.millis(60_001) }, 'retryBackoffMax must be between 1 ms and 60 s, got 60001 ms'],
    ['connectTimeout 0', { connectTimeout: Duration.millis(0) }, 'connectTimeout must be between 1 ms and 60 s, got 0 ms'],
    ['connectTimeout above 60 s', { connectTimeout: Duration.millis(60_001) }, 'connectTimeout must be between 1 ms and 60 s, got 60001 ms'],
    ['egressPortBase 1023', { egressPortBase: 1023 }, 'egressPortBase must be an integer between 1024 and 65524, got 1023'],
    ['egressPortBase 65525', { egressPortBase: 65525 }, 'egressPortBase must be an integer between 1024 and 65524, got 65525'],
    ['egressPortBase 9890, whose 12 ports reach the admin port', { egressPortBase: 9890 },
      'egressPortBase must keep the 12 egress ports 9890 to 9901 clear of the sidecars\' own ports (9901, 13134), got 9890, which takes 9901'],
    ['egressPortBase 13130, whose 12 ports reach the metrics collector\'s health port', { egressPortBase: 13130 },
      'egressPortBase must keep the 12 egress ports 13130 to 13141 clear of the sidecars\' own ports (9901, 13134), got 13130, which takes 13134'],
    ['retryBackoffMax below retryBackoffBase', { retryBackoffBase: Duration.millis(100), retryBackoffMax: Duration.millis(99) },
      'retryBackoffMax must be at least retryBackoffBase (100 ms), got 99 ms'],
    ['retryBackoffMax below the default base', { retryBackoffMax: Duration.millis(10) }, 'retryBackoffMax must be at least retryBackoffBase (25 ms), got 10 ms'],
  ])('fails on %s', (_name, options, line) => {
    expect(() => ServiceMesh.envoy(options)).toThrow(err(line));
  });

  test('fails with every finding at once', () => {
    expect(() => ServiceMesh.envoy({ cpu: 1, egressPortBase: 1 })).toThrow(
      err('cpu must be an integer between 32 and 4096, got 1\n  - egressPortBase must be an integer between 1024 and 65524, got 1'));
  });

  test.each<[string, EnvoyMeshOptions]>([
    ['cpu 32', { cpu: 32 }], ['cpu 4096', { cpu: 4096 }],
    ['memoryReservationMiB 32', { memoryReservationMiB: 32 }], ['memoryReservationMiB 8192', { memoryReservationMiB: 8192 }],
    ['budgetPercent 1', { retryBudget: { budgetPercent: 1 } }], ['budgetPercent 100', { retryBudget: { budgetPercent: 100 } }],
    ['minRetryConcurrency 1', { retryBudget: { minRetryConcurrency: 1 } }], ['minRetryConcurrency 1000', { retryBudget: { minRetryConcurrency: 1000 } }],
    ['retryBackoffBase 1 ms', { retryBackoffBase: Duration.millis(1) }], ['retryBackoffBase 10 s', { retryBackoffBase: Duration.seconds(10), retryBackoffMax: Duration.seconds(60) }],
    ['retryBackoffMax 60 s', { retryBackoffMax: Duration.seconds(60) }], ['retryBackoffMax equal to retryBackoffBase', { retryBackoffBase: Duration.millis(100), retryBackoffMax: Duration.millis(100) }],
    ['connectTimeout 1 ms', { connectTimeout: Duration.millis(1) }], ['connectTimeout 60 s', { connectTimeout: Duration.seconds(60) }],
    ['egressPortBase 1024', { egressPortBase: 1024 }], ['egressPortBase 65524', { egressPortBase: 65524 }], ['egressPortBase 9902, past the admin port', { egressPortBase: 9902 }],
    ['a 2-character prefix', { pullThroughCachePrefix: 'dh' }], ['a 30-character prefix', { pullThroughCachePrefix: 'a'.repeat(30) }],
    ['a nested prefix', { pullThroughCachePrefix: 'mirrors/docker-hub' }],
    ['a version with the cache', { pullThroughCachePrefix: 'docker-hub', version: 'v1.41.0' }],
    ['an image alone', { image }],
  ])('accepts %s', (_name, options) => {
    expect(() => ServiceMesh.envoy(options)).not.toThrow();
  });

  test('the default retryBackoffMax is 10 x retryBackoffBase, held to the 60 s a given one may not exceed', () => {
    const max = (base: Duration) => routeOf(bootstrapOf(pair(ServiceMesh.envoy({ retryBackoffBase: base }), { retryPolicy: RetryPolicy.http() }).caller), 'backend')
      .route.retry_policy.retry_back_off.max_interval;
    expect(max(Duration.seconds(10))).toBe('60s');
    expect(max(Duration.seconds(6))).toBe('60s');
    expect(max(Duration.millis(100))).toBe('1s');
  });
});

describe('validation of services on ServiceMesh.envoy()', () => {
  const service = (props: object, mesh: EnvoyMeshOptions = {}) => {
    const app = testApp();
    const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh: ServiceMesh.envoy(mesh) });
    const stack = new Stack(app, 'S');
    return { app, stack, svc: new Microservice(stack, 'Svc', { platform, image: IMAGE, ...props }) };
  };
  const retries = { retryPolicy: RetryPolicy.http({ maxRetries: 2, perRetryTimeout: Duration.millis(1500) }) };

  test('fails when requestTimeout is shorter than perRetryTimeout: the route timeout covers every attempt', () => {
    expect(() => service({ ...retries, requestTimeout: Duration.millis(1499) })).toThrow(
      "Invalid props for Microservice 'S/Svc':\n  - requestTimeout must be at least retryPolicy's perRetryTimeout (1500 ms) on ServiceMesh.envoy(): the route timeout covers every attempt, got 1499 ms");
  });

  test('warns (cdk-microservice:envoyRetriesCut) when requestTimeout is shorter than all the attempts, from perRetryTimeout up', () => {
    for (const ms of [1500, 3 * 1500 - 1]) {
      const { stack } = service({ ...retries, requestTimeout: Duration.millis(ms) });
      Annotations.fromStack(stack).hasWarning('/S/Svc', Match.stringLikeRegexp(
        `^requestTimeout \\(${ms} ms\\) is shorter than \\(maxRetries \\+ 1\\) x perRetryTimeout = 3 x 1500 ms: Envoy's route timeout covers every attempt, so the last retries may not run\\..*envoyRetriesCut`));
    }
  });

  test('warns nothing when requestTimeout covers every attempt, or when there are no retries', () => {
    Annotations.fromStack(service({ ...retries, requestTimeout: Duration.millis(3 * 1500) }).stack).hasNoWarning('*', Match.anyValue());
    Annotations.fromStack(service({ requestTimeout: Duration.millis(1) }).stack).hasNoWarning('*', Match.anyValue());
  });

  describe('a callee with more tasks than a DNS answer holds (Cloud Map MULTIVALUE: up to 8 records)', () => {
    const dnsWarnings = (stack: Stack) => annotationsOf(stack).findWarning('*', Match.stringLikeRegexp('envoyDnsEndpoints'));

    test('defaults maxCapacity to 8 on Envoy (10 on Service Connect), and then warns nothing', () => {
      const envoy = pair(ServiceMesh.envoy());
      const maxes = Object.values<any>(Template.fromStack(envoy.stack).findResources('AWS::ApplicationAutoScaling::ScalableTarget')).map((r) => r.Properties.MaxCapacity);
      expect(maxes).toEqual([8, 8]);
      expect(dnsWarnings(envoy.stack)).toEqual([]);
      const sc = pair(ServiceMesh.serviceConnect());
      expect(Object.values<any>(Template.fromStack(sc.stack).findResources('AWS::ApplicationAutoScaling::ScalableTarget')).map((r) => r.Properties.MaxCapacity)).toEqual([10, 10]);
    });

    test('warns once on a callee whose maxCapacity is above 8, naming the count and the way out', () => {
      const { stack } = pair(ServiceMesh.envoy(), { autoScaling: { maxCapacity: 9 } });
      const found = dnsWarnings(stack);
      expect(found.map((w) => w.id)).toEqual(['/S/Backend']);
      expect(found[0].entry.data).toMatch(/^autoScaling\.maxCapacity of S\/Backend is 9, but each caller's Envoy sidecar sees at most 8 of its tasks: Cloud Map answers a DNS query with up to 8 healthy records/);
      expect(found[0].entry.data).toMatch(/Keep maxCapacity at 8 or less, scale the task size up, or use ServiceMesh\.serviceConnect\(\)/);
    });

    test('warns nothing for a service above 8 tasks that nobody calls, or a callee at 8', () => {
      expect(dnsWarnings(pair(ServiceMesh.envoy(), { autoScaling: { maxCapacity: 8 } }, { autoScaling: { maxCapacity: 50 } }).stack)).toEqual([]);
    });

    test("warns on a canary above 8 tasks, whether it is routed before or after the callers' connectTo", () => {
      for (const order of ['before', 'after']) {
        const app = testApp();
        const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh: ServiceMesh.envoy() });
        const stack = new Stack(app, 'S');
        const backend = new Microservice(stack, 'Backend', { platform, image: IMAGE });
        const v2 = new Microservice(stack, 'BackendV2', { platform, image: IMAGE, autoScaling: { maxCapacity: 12 } });
        const caller = new Microservice(stack, 'Caller', { platform, image: IMAGE });
        if (order === 'before') backend.routeCanary(v2, 10);
        caller.connectTo(backend);
        if (order === 'after') backend.routeCanary(v2, 10);
        expect(dnsWarnings(stack).map((w) => w.id)).toEqual(['/S/BackendV2']);
      }
    });
  });

  test('a service without requestTimeout gets the documented 15 s route timeout', () => {
    expect(service({}).svc.requestTimeout.toMilliseconds()).toBe(15_000);
  });

  test.each([15001, 15001 + 11])('fails on containerPort %i, an Envoy egress port', (port) => {
    expect(() => service({ containerPort: port })).toThrow(
      `Invalid props for Microservice 'S/Svc':\n  - containerPort must not be one of the Envoy egress ports 15001 to 15012 (ServiceMesh.envoy({ egressPortBase })), got ${port}`);
  });

  test.each([15000, 15013])('accepts containerPort %i, just outside the egress ports', (port) => {
    expect(() => service({ containerPort: port })).not.toThrow();
  });

  test('the egress ports follow egressPortBase', () => {
    expect(() => service({ containerPort: 15001 }, { egressPortBase: 20000 })).not.toThrow();
    expect(() => service({ containerPort: 20011 }, { egressPortBase: 20000 })).toThrow('containerPort must not be one of the Envoy egress ports 20000 to 20011');
    expect(() => service({ containerPort: 20012 }, { egressPortBase: 20000 })).not.toThrow();
  });

  // Each feature declares its own ports; the task refuses a clash when the sidecar that holds the
  // port is added, so a port is refused exactly when a sidecar of the task listens on it.
  test.each([
    [9901, 'envoy', '9901, 15001, 15002, 15003, 15004, 15005, 15006, 15007, 15008, 15009, 15010, 15011, 15012'],
    [13134, 'envoy-metrics', '13134'],
  ])("fails on containerPort %i of a caller, a port of Envoy's sidecars (%s)", (port, sidecar, ports) => {
    const { app, svc } = service({ containerPort: port });
    const callee = new Microservice(new Stack(app, 'C'), 'Callee', { platform: svc.platform, image: IMAGE });
    expect(() => svc.connectTo(callee)).toThrow(
      `Invalid props for Microservice 'S/Svc':\n  - containerPort must not be a port the ${sidecar} sidecar listens on (${ports}), got ${port}`);
  });

  test.each([9901, 13134, 4317])('takes containerPort %i on a service that calls nobody: its task has no Envoy sidecar', (port) => {
    const { app, svc } = service({ containerPort: port });
    const caller = new Microservice(new Stack(app, 'C'), 'Caller', { platform: svc.platform, image: IMAGE });
    expect(() => caller.connectTo(svc)).not.toThrow();
  });

  test.each([4317, 4318, 13133])('fails on containerPort %i with tracing, a port of the collector, whatever the mesh', (port) => {
    expect(() => service({ containerPort: port, tracing: Tracing.openTelemetry() })).toThrow(
      `Invalid props for Microservice 'S/Svc':\n  - containerPort must not be a port the otel-collector sidecar listens on (4317, 4318, 13133), got ${port}`);
  });

  test('fails when egressPortBase puts the egress listeners on the tracing collector\'s ports, naming both sidecars', () => {
    const { app, svc } = service({ tracing: Tracing.openTelemetry() }, { egressPortBase: 4310 });
    const callee = new Microservice(new Stack(app, 'C'), 'Callee', { platform: svc.platform, image: IMAGE });
    expect(() => svc.connectTo(callee)).toThrow(
      "Invalid props for Microservice 'S/Svc':\n  - the envoy sidecar needs ports 4317, 4318 (its egress listeners from ServiceMesh.envoy({ egressPortBase: 4310 })), which the otel-collector sidecar of the task listens on: containers of a task share its network");
    // Without tracing, the same egress ports are free.
    const other = service({}, { egressPortBase: 4310 });
    const callee2 = new Microservice(new Stack(other.app, 'C'), 'Callee', { platform: other.svc.platform, image: IMAGE });
    expect(() => other.svc.connectTo(callee2)).not.toThrow();
  });

  test('fails on a gRPC retry policy with protocol HTTP', () => {
    expect(() => service({ retryPolicy: RetryPolicy.grpc(), protocol: ServiceProtocol.HTTP })).toThrow(
      'protocol must be ServiceProtocol.GRPC with a RetryPolicy.grpc() (its retry events are gRPC status codes), got "http"');
  });

  describe('the sidecars count against the task size', () => {
    /** A caller of one backend with the given task size and Envoy reservations; the synth-time errors. */
    const errorsOf = (callerProps: object, mesh: EnvoyMeshOptions = {}) => {
      const { app } = pair(ServiceMesh.envoy(mesh), {}, callerProps);
      try {
        app.synth();
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    // The app keeps at least 128 CPU units and 256 MiB; Envoy reserves 128/128 and the collector 64/128 by default.

    test('fails synthesis on cpu 256 with Envoy and the collector, naming cpu', () => {
      expect(errorsOf({ cpu: 256, memoryLimitMiB: 512 })).toContain(
        "cpu of Microservice 'S/Caller' must leave the app container at least 128 CPU units after its sidecars "
        + '(envoy 128 CPU units / 128 MiB, envoy-metrics 64 CPU units / 128 MiB), got cpu 256, which leaves 64: raise cpu');
    });

    test('a backend with the same small task has no sidecar, so fits', () => {
      const app = testApp();
      const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh: ServiceMesh.envoy() });
      new Microservice(new Stack(app, 'S'), 'Leaf', { platform, image: IMAGE, cpu: 256, memoryLimitMiB: 512 });
      expect(() => app.synth()).not.toThrow();
    });

    test('accepts the Envoy cpu that leaves the app exactly 128 units, fails one above', () => {
      // cpu 512: 512 - 64 (collector) - 320 = 128.
      expect(errorsOf({ cpu: 512, memoryLimitMiB: 1024 }, { cpu: 320 })).toBe('');
      expect(errorsOf({ cpu: 512, memoryLimitMiB: 1024 }, { cpu: 321 })).toContain('got cpu 512, which leaves 127: raise cpu');
    });

    test('accepts the Envoy memory that leaves the app exactly 256 MiB, fails one above, naming memoryLimitMiB', () => {
      // 512 MiB: 512 - 128 (collector) - 128 = 256; cpu 512 leaves enough CPU.
      expect(errorsOf({ cpu: 256, memoryLimitMiB: 512 }, { cpu: 64 })).toBe('');
      expect(errorsOf({ cpu: 256, memoryLimitMiB: 512 }, { cpu: 64, memoryReservationMiB: 129 })).toContain(
        "memoryLimitMiB of Microservice 'S/Caller' must leave the app container at least 256 MiB after its sidecars "
        + '(envoy 64 CPU units / 129 MiB, envoy-metrics 64 CPU units / 128 MiB), got memoryLimitMiB 512, which leaves 255: raise memoryLimitMiB');
    });
  });

  describe('many backends: the task definition\'s size is the limit, not a count', () => {
    /** A caller in stack S on an Envoy platform; backends go in stack B. */
    const caller = (mesh: EnvoyMeshOptions = {}, callerProps: object = {}) => {
      const app = testApp();
      const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh: ServiceMesh.envoy(mesh) });
      const stack = new Stack(app, 'S');
      const backends = new Stack(app, 'B');
      const svc = new Microservice(stack, 'Caller', { platform, image: IMAGE, ...callerProps });
      const backend = (n: number, props: object = {}) => new Microservice(backends, `Backend${n}`, { platform, image: IMAGE, ...props });
      return { app, stack, svc, backend, mesh: svc.node.findChild('Mesh') };
    };
    const described = { retryPolicy: RetryPolicy.http(), outlierDetection: OUTLIER, connectionPool: { maxConnections: 10, maxPendingRequests: 10, maxRequests: 10 } };

    test('synthesizes 13 and more backends (16), each with its listener and URL on the next egress port', () => {
      const c = caller();
      for (let n = 1; n <= 16; n++) c.svc.connectTo(c.backend(n, { retryPolicy: RetryPolicy.http() }));
      const t = Template.fromStack(c.stack);
      expect(listeners(templateBootstrap(t)).map((l) => [l.name, l.address.socket_address.port_value]))
        .toEqual(Array.from({ length: 16 }, (_, i) => [`backend${i + 1}`, 15001 + i]));
      expect(clusters(templateBootstrap(t))).toHaveLength(16);
      expect(envOf(t)).toMatchObject({ BACKEND13_URL: 'http://127.0.0.1:15013', BACKEND16_URL: 'http://127.0.0.1:15016' });
    });

    test('fails synthesis at the backend that takes the task definition past 64 KiB, naming connectTo, the limit, the size and the backends', () => {
      // Fully described backends with the default access logs: about 2.9 KB of bootstrap each.
      const c = caller();
      let n = 0;
      while (c.mesh.node.validate().length === 0) c.svc.connectTo(c.backend(++n, described));
      expect(n).toBeGreaterThan(12); // 20 when written: 19 fit
      const message = new RegExp("^connectTo of Microservice 'S/Caller' must keep its task definition within ECS's limit of 65536 bytes \\(64 KiB; the Envoy bootstrap "
        + `travels in it\\), got about (\\d+) bytes with ${n} backends, of which the bootstrap takes (\\d+) bytes \\(about (\\d+) per backend\\): connect fewer backends from this service, or split it$`);
      const errors = c.mesh.node.validate();
      expect(errors).toEqual([expect.stringMatching(message)]);
      const [size, bootstrap, perBackend] = message.exec(errors[0])!.slice(1).map(Number);
      expect(size).toBeGreaterThan(65536);
      expect(size).toBeLessThan(65536 + perBackend);
      // The bootstrap as it travels: a JSON string in the task definition's JSON, tokens at their longest.
      expect(bootstrap).toBeGreaterThan(Buffer.byteLength(JSON.stringify(JSON.stringify(bootstrapOf(c.svc)))));
      expect(perBackend).toBe(Math.round(bootstrap / n));
      expect(() => c.app.synth()).toThrow(/connectTo of Microservice 'S\/Caller' must keep its task definition within ECS's limit of 65536 bytes/);
      // One backend fewer synthesizes: the error is at the boundary.
      const fewer = caller();
      for (let m = 1; m < n; m++) fewer.svc.connectTo(fewer.backend(m, described));
      expect(() => fewer.app.synth()).not.toThrow();
    });

    test("fails when a 13th backend's egress port is the app's containerPort, naming connectTo and the port", () => {
      const c = caller({}, { containerPort: 15013 });
      for (let n = 1; n <= 12; n++) c.svc.connectTo(c.backend(n));
      expect(() => c.svc.connectTo(c.backend(13))).toThrow("Invalid props for Microservice 'S/Caller':\n  - connectTo must give its 13th backend ('B/Backend13') "
        + "the local port egressPortBase + 12 = 15013, which is the app's containerPort: connect fewer backends or move egressPortBase (ServiceMesh.envoy({ egressPortBase: 15001 })), or containerPort");
    });

    test('fails when egressPortBase leaves no port for a 13th backend: 65524 + 12 is past 65535', () => {
      const c = caller({ egressPortBase: 65524 });
      for (let n = 1; n <= 12; n++) c.svc.connectTo(c.backend(n));
      expect(() => c.svc.connectTo(c.backend(13))).toThrow(
        "connectTo must give its 13th backend ('B/Backend13') the local port egressPortBase + 12 = 65536, which is past 65535: connect fewer backends or move egressPortBase (ServiceMesh.envoy({ egressPortBase: 65524 }))");
    });

    test("fails synthesis when a sidecar added afterwards listens on a 13th backend's egress port", () => {
      const c = caller();
      for (let n = 1; n <= 13; n++) c.svc.connectTo(c.backend(n));
      c.svc.addSidecar('Proxy', { image: IMAGE, cpu: 64, memoryReservationMiB: 64, portMappings: [{ containerPort: 15013 }] });
      expect(c.mesh.node.validate()).toEqual([
        "connectTo must give its 13th backend ('B/Backend13') the local port egressPortBase + 12 = 15013, which the Proxy container of the task listens on (containers of a task share its network): "
        + 'connect fewer backends or move egressPortBase (ServiceMesh.envoy({ egressPortBase: 15001 }))',
      ]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Ports inside one task
// ---------------------------------------------------------------------------------------------

describe('ports inside one task', () => {
  test('the egress listeners never take the admin address', () => {
    expect(() => ServiceMesh.envoy({ egressPortBase: 9901 })).toThrow(/egressPortBase must keep the 12 egress ports 9901 to 9912 clear of the sidecars' own ports/);
    const { caller } = pair(ServiceMesh.envoy({ egressPortBase: 9902 }));
    const boot = bootstrapOf(caller);
    expect(listeners(boot)[0].address.socket_address).not.toEqual(boot.admin.address.socket_address);
  });

  // With tracing, a caller on Envoy runs two ADOT collectors in one task (network namespace):
  // otel-collector with the image's /etc/ecs/ecs-xray.yaml (health_check on its default 13133,
  // internal telemetry on 8888) and envoy-metrics, which must use other ports.
  test('a caller with tracing runs its two collectors on distinct health-check ports, the metrics one without a telemetry server', () => {
    const { stack } = pair(ServiceMesh.envoy(), {}, { tracing: Tracing.openTelemetry() });
    const t = Template.fromStack(stack);
    const collectors = containersOf(t).filter((c) => JSON.stringify(c.Image).includes('aws-otel-collector'));
    expect(collectors.map((c) => c.Name).sort()).toEqual(['envoy-metrics', 'otel-collector']);
    const port = (endpoint: string | undefined) => Number((endpoint ?? ':13133').split(':').pop());
    const ecsXrayHealthPort = 13133; // ecs-xray.yaml: `extensions: health_check:` with no endpoint
    const config = collectorConfigIn(t);
    expect(port(config.extensions.health_check?.endpoint)).toBe(13134);
    expect(port(config.extensions.health_check?.endpoint)).not.toBe(ecsXrayHealthPort);
    expect(config.service.telemetry).toEqual({ metrics: { level: 'none' } });
    expect(collectors.find((c) => c.Name === 'envoy-metrics').HealthCheck.Command).toEqual(['CMD', '/healthcheck', '--port', '13134']);
  });
});
