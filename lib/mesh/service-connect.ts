import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import type { ServiceConnectOptions } from './mesh-options';
import { meshContext } from './mesh-context';
import { OVERVIEW_TOP, overviewGraph } from '../private/overview';
import { apiTimeoutMillis, defaultRequestTimeoutMillis } from './resilience';
import type { AlarmSource, GoldenSignals } from '../private/binding';
import type { ServiceConnectMeshContract, ServiceContract } from '../private/contract';
import type { MeshDescription, MeshService, PlatformMesh, ServiceConnection, ServiceWithNetwork } from '../private/feature';
import { serviceRoleWithManagedPolicy } from '../private/grants';
import { APP_PORT_MAPPING_NAME, SERVICE_CONNECT_SUFFIX } from '../private/names';
import { millis, PropErrors } from '../private/validation';


/**
 * ECS Service Connect on one platform: each service registers in the namespace under
 * `<name>-sc` with the client alias `<name>:<port>`, timeouts from its description, and access
 * logs to its log group. ECS fixes the proxy's retries and outlier detection itself.
 */
export class ServiceConnectPlatformMesh implements PlatformMesh {
  /** Service Connect's own registration, and the library's A and SRV records (service-network.ts). */
  public readonly registrationsPerTask = 2;

  constructor(private readonly options: ServiceConnectOptions) {}

  public importService(_scope: Construct, contract: ServiceContract, namespaceName: string): MeshService {
    // The endpoint is built, not read: a contract never points a caller anywhere but the callee's alias.
    return new ServiceConnectService(`http://${contract.serviceName}:${contract.port}`, Duration.millis(contract.timeouts.requestMs), contract.serviceName,
      `${contract.platformName}/${contract.serviceName}`, contract.port, `${contract.serviceName}.${namespaceName}`);
  }

  public contract(): ServiceConnectMeshContract {
    return { kind: 'serviceConnect', tlsCertificateAuthorityArn: this.options.tlsCertificateAuthorityArn, accessLogs: this.options.accessLogs ?? true };
  }

  /**
   * The traffic into every service of the cluster, as its callers' proxies in the cluster report
   * it: the series of TargetDiscoveryName, ServiceName, ClusterName (ServiceName and ClusterName
   * are the caller's), grouped by the callee. The worst 20 of each.
   */
  public overviewWidgets(clusterName: string): cloudwatch.IWidget[] {
    const byCallee = (fn: string, metricName: string) => `SELECT ${fn}(${metricName}) FROM SCHEMA("AWS/ECS", ClusterName, ServiceName, TargetDiscoveryName) `
      + `WHERE ClusterName = '${clusterName}' GROUP BY TargetDiscoveryName ORDER BY ${fn}() DESC LIMIT ${OVERVIEW_TOP}`;
    return [
      overviewGraph('Service Connect: 5XX responses, by callee (worst 20)', byCallee('SUM', 'HTTPCode_Target_5XX_Count')),
      overviewGraph('Service Connect: slowest response time (ms), by callee (worst 20)', byCallee('MAX', 'TargetResponseTime')),
    ];
  }

  public bindService(scope: Construct, unit: ServiceWithNetwork, description: MeshDescription): MeshService {
    const c = meshContext(unit, description);
    const service = scope.node.scope!;
    const errors = new PropErrors(`Microservice '${c.servicePath}'`);
    for (const [prop, d] of [['requestTimeout', c.requestTimeout], ['idleTimeout', c.idleTimeout]] as const) {
      if (!d || d.isUnresolved()) continue;
      const ms = millis(d);
      if (!Number.isFinite(ms)) continue; // reported by the service's own checks
      if (ms < 1000) errors.add(`${prop} must be at least 1 s with ServiceMesh.serviceConnect() (the minimum of its ${prop === 'requestTimeout' ? 'perRequestTimeout' : 'idleTimeout'}), got ${ms} ms`);
      else if (ms % 1000 !== 0) errors.add(`${prop} must be a whole number of seconds with ServiceMesh.serviceConnect(), got ${ms} ms`);
    }
    // Service Connect takes whole seconds: a default taken from the API timeout rounds down.
    const api = apiTimeoutMillis(c.apiTimeout);
    // Its per-request timeout is at least 1 s, which an API timeout under 1 s cannot cover (the
    // call-graph check). Below 50 ms, the lowest either API flavour takes, the API's own range error says more.
    if (api !== undefined && api >= 50 && api < 1000) {
      errors.add(`the API's timeout must be at least 1 s with ServiceMesh.serviceConnect() (its request timeout is whole seconds, at least 1), got ${api} ms`);
    }
    errors.throwIfAny();
    const requestTimeout = c.requestTimeout ?? Duration.seconds(Math.max(1, Math.floor(defaultRequestTimeoutMillis(c.apiTimeout) / 1000)));

    let tls: ecs.ServiceConnectTlsConfiguration | undefined;
    if (this.options.tlsCertificateAuthorityArn) {
      const role = serviceRoleWithManagedPolicy(scope, 'TlsRole', {
        service: 'ecs.amazonaws.com',
        description: 'Lets ECS issue Service Connect TLS certificates from the private CA',
        managedPolicy: 'service-role/AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity',
        reason: 'The AWS managed policy ECS documents for Service Connect TLS; it is scoped to the ACM PCA and Secrets Manager calls ECS makes for certificates.',
      });
      tls = { awsPcaAuthorityArn: this.options.tlsCertificateAuthorityArn, role };
    }
    const discoveryName = `${c.discoveryName}${SERVICE_CONNECT_SUFFIX}`;
    c.service.enableServiceConnect({
      namespace: c.namespace.namespaceArn,
      services: [{
        portMappingName: APP_PORT_MAPPING_NAME,
        discoveryName,
        dnsName: c.discoveryName,
        port: c.containerPort,
        perRequestTimeout: requestTimeout,
        idleTimeout: c.idleTimeout,
        tls,
      }],
      logDriver: ecs.LogDrivers.awsLogs({ logGroup: c.task.logGroup, streamPrefix: 'service-connect' }),
      accessLogConfiguration: (this.options.accessLogs ?? true)
        ? { format: ecs.ServiceConnectAccessLogFormat.JSON, includeQueryParameters: false }
        : undefined,
    });
    // ECS fixes Service Connect's retries and outlier detection: say so, never silently drop them.
    const warn = (field: string, what: string) => Annotations.of(service).addWarningV2(
      `cdk-microservice:serviceConnectIgnores:${field}`,
      `${field} is not honoured by ECS Service Connect (${what}); it is used by the call-graph check only. ServiceMesh.envoy() on the platform honours it.`,
    );
    if (c.retryPolicy.maxRetries > 0) warn('retryPolicy', 'its proxy retries failed requests by its own fixed policy');
    if (c.outlierDetection) warn('outlierDetection', 'its proxy ejects failing tasks by its own fixed outlier detection');
    if (c.connectionPool) warn('connectionPool', 'it exposes no connection pool limits');

    return new ServiceConnectService(`http://${c.discoveryName}:${c.containerPort}`, requestTimeout, c.discoveryName, c.servicePath,
      c.containerPort, `${c.discoveryName}.${c.namespace.namespaceName}`);
  }
}

/** One service on Service Connect: its endpoint and the target metrics the callers' proxies publish. */
class ServiceConnectService implements MeshService {
  public readonly alarms: AlarmSource[];
  public readonly signals: GoldenSignals;
  public readonly retriesEnforced = "Service Connect's own: 2 retries on connection failure or 503 (containers-roadmap #1963), whatever retryPolicy says";

  /** Callers' proxies reach the tasks on the app's port, through the tasks' security group. */
  public readonly ingressPorts: number[];
  public readonly faultTarget: { readonly ports: number[]; readonly hosts: string[] };

  private readonly discoveryName: string;

  constructor(public readonly endpoint: string, public readonly requestTimeout: Duration, name: string,
    private readonly servicePath: string, port: number, host: string) {
    this.discoveryName = `${name}${SERVICE_CONNECT_SUFFIX}`;
    this.ingressPorts = [port];
    this.faultTarget = { ports: [port], hosts: [host] };
    // The callers' proxies publish each Target metric twice: under TargetDiscoveryName alone (all
    // traffic into the service) and under TargetDiscoveryName, ServiceName, ClusterName (the share
    // of one calling service; ECS developer guide, "Amazon ECS CloudWatch metrics": "Valid
    // dimensions: TargetDiscoveryName and TargetDiscoveryName, ServiceName, ClusterName"). A
    // metric is the series of its exact dimension set, so these read the first set only and an
    // error is counted once. Plain metric alarms, not Metrics Insights ones: a region holds at most
    // 200 Metrics Insights alarms, a limit AWS does not raise, which 100 services would pass.
    this.alarms = [
      { key: 'mesh.serverErrors', variant: 'serviceConnect', metric: (period: Duration) => this.target('Sum', 'HTTPCode_Target_5XX_Count', undefined, period) },
      { key: 'mesh.latency', variant: 'serviceConnect', metric: (period: Duration) => this.target('Average', 'TargetResponseTime', undefined, period) },
    ];
    this.signals = {
      traffic: this.responseCodes(),
      errors: [this.target('Sum', 'HTTPCode_Target_5XX_Count', '5XX (Service Connect)')],
      latency: [this.target('Average', 'TargetResponseTime', 'average (Service Connect)')],
    };
  }

  public connect(callee: MeshService): ServiceConnection {
    // Every Service Connect service of the namespace is a client of the others: nothing to declare
    // beyond the callee's security-group rule.
    return { url: callee.endpoint, ingressPorts: callee.ingressPorts, faultTarget: callee.faultTarget };
  }

  public routeCanary(): void {
    const errors = new PropErrors(`routeCanary() of Microservice '${this.servicePath}'`);
    errors.add('routeCanary needs a mesh with weighted routing between services; with ServiceMesh.serviceConnect() use the deployment prop '
      + '(ecs.DeploymentStrategy.CANARY or LINEAR: ECS shifts Service Connect traffic to the new revision), got Service Connect');
    errors.throwIfAny();
  }

  public dashboardRows(): cloudwatch.IWidget[][] {
    const graph = (title: string, left: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left, width: 8, height: 6 });
    return [[
      graph('Mesh: responses by code class', this.responseCodes()),
      graph('Mesh: 4XX and 5XX', [this.target('Sum', 'HTTPCode_Target_4XX_Count', '4XX'), this.target('Sum', 'HTTPCode_Target_5XX_Count', '5XX')]),
      graph('Mesh: response time (ms)', [this.target('Average', 'TargetResponseTime', 'average'), this.target('Maximum', 'TargetResponseTime', 'maximum')]),
      new cloudwatch.TextWidget({
        markdown: '### Mesh metrics\nService Connect publishes the traffic into a service from its callers\' proxies only: a service that no other service of the mesh calls (only API Gateway, say) has none, and its mesh graphs stay empty.',
        width: 24, height: 2,
      }),
    ]];
  }

  /** `metricName` over all the traffic into this service: the series of TargetDiscoveryName alone. */
  private target(statistic: string, metricName: string, label?: string, period = Duration.minutes(5)): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: 'AWS/ECS', metricName, dimensionsMap: { TargetDiscoveryName: this.discoveryName }, statistic, period, label });
  }

  /** The responses this service gave its callers in the mesh, by code class. */
  private responseCodes(): cloudwatch.IMetric[] {
    return ['2XX', '3XX', '4XX', '5XX'].map((c) => this.target('Sum', `HTTPCode_Target_${c}_Count`, c));
  }
}
