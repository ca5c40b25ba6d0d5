import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ServiceConnectOptions } from './mesh-options';
import type { AlarmSource, GoldenSignals, MeshService, MeshServiceContext, PlatformMesh } from '../private/binding';
import { APP_PORT_MAPPING_NAME, SERVICE_CONNECT_SUFFIX } from '../private/names';
import { PropErrors } from '../private/validation';

/** Default request timeout through the mesh, unless the API's integration timeout is shorter. */
const DEFAULT_REQUEST_TIMEOUT = Duration.seconds(15);

/**
 * ECS Service Connect on one platform: each service registers in the namespace under
 * `<name>-sc` with the client alias `<name>:<port>`, timeouts from its description, and access
 * logs to its log group. ECS fixes the proxy's retries and outlier detection itself.
 */
export class ServiceConnectPlatformMesh implements PlatformMesh {
  constructor(private readonly options: ServiceConnectOptions) {}

  public bindService(scope: Construct, c: MeshServiceContext): MeshService {
    const service = scope.node.scope!;
    const errors = new PropErrors(`Microservice '${c.servicePath}'`);
    for (const [prop, d] of [['requestTimeout', c.requestTimeout], ['idleTimeout', c.idleTimeout]] as const) {
      if (!d || d.isUnresolved()) continue;
      const ms = d.toMilliseconds();
      if (ms < 1000) errors.add(`${prop} must be at least 1 s with ServiceMesh.serviceConnect() (the minimum of its ${prop === 'requestTimeout' ? 'perRequestTimeout' : 'idleTimeout'}), got ${ms} ms`);
      else if (ms % 1000 !== 0) errors.add(`${prop} must be a whole number of seconds with ServiceMesh.serviceConnect(), got ${ms} ms`);
    }
    errors.throwIfAny();
    // Service Connect takes whole seconds: a default taken from the API timeout rounds down.
    const api = c.apiTimeout && !c.apiTimeout.isUnresolved() ? c.apiTimeout.toMilliseconds() : undefined;
    const requestTimeout = c.requestTimeout
      ?? (api !== undefined && api < DEFAULT_REQUEST_TIMEOUT.toMilliseconds() ? Duration.seconds(Math.max(1, Math.floor(api / 1000))) : DEFAULT_REQUEST_TIMEOUT);

    let tls: ecs.ServiceConnectTlsConfiguration | undefined;
    if (this.options.tlsCertificateAuthorityArn) {
      const role = new iam.Role(scope, 'TlsRole', {
        assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
        description: 'Lets ECS issue Service Connect TLS certificates from the private CA',
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity')],
      });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity]',
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
      `${field} is not honoured by ECS Service Connect (${what}); it is used by the call-graph check only.`,
    );
    if (c.retryPolicy.maxRetries > 0) warn('retryPolicy', 'its proxy retries failed requests by its own fixed policy');
    if (c.outlierDetection) warn('outlierDetection', 'its proxy ejects failing tasks by its own fixed outlier detection');
    if (c.connectionPool) warn('connectionPool', 'it exposes no connection pool limits');

    return new ServiceConnectService(`http://${c.discoveryName}:${c.containerPort}`, requestTimeout, c.discoveryName, c.servicePath);
  }
}

/** One service on Service Connect: its endpoint and the target metrics the callers' proxies publish. */
class ServiceConnectService implements MeshService {
  public readonly alarms: AlarmSource[];
  public readonly signals: GoldenSignals;

  private readonly discoveryName: string;

  constructor(public readonly endpoint: string, public readonly requestTimeout: Duration, private readonly name: string,
    private readonly servicePath: string) {
    this.discoveryName = `${name}${SERVICE_CONNECT_SUFFIX}`;
    this.alarms = [
      { key: 'meshServerErrorRate', metric: () => this.responses('IF(c2 + c3 + c4 + c5 > 0, 100 * c5 / (c2 + c3 + c4 + c5), 0)', 'Service Connect 5XX (%)') },
      { key: 'meshLatencyP99', metric: (period: Duration) => this.metric('TargetResponseTime', 'p99', period) },
    ];
    this.signals = {
      traffic: [this.requests()],
      errors: [this.metric('HTTPCode_Target_5XX_Count', 'Sum')],
      latency: [this.metric('TargetResponseTime', 'p99')],
    };
  }

  public connect(callee: MeshService): string {
    // Every Service Connect service of the namespace is a client of the others: nothing to declare.
    return callee.endpoint;
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
      graph('Mesh: requests', [this.requests()]),
      graph('Mesh: 4XX and 5XX', [this.metric('HTTPCode_Target_4XX_Count', 'Sum'), this.metric('HTTPCode_Target_5XX_Count', 'Sum')]),
      graph('Mesh: response time p99 (ms)', [this.metric('TargetResponseTime', 'p99')]),
    ]];
  }

  public overviewWidgets(): cloudwatch.IWidget[] {
    return [new cloudwatch.GraphWidget({
      title: `${this.name}: responses and 5XX (Service Connect)`,
      left: [this.responses('c2 + c3 + c4 + c5', 'responses')],
      right: [this.metric('HTTPCode_Target_5XX_Count', 'Sum')],
      width: 7, height: 4,
    })];
  }

  /**
   * A Service Connect metric of the traffic into this service. ECS publishes the Target metrics
   * (HTTP codes, response time) from the callers' proxies under TargetDiscoveryName.
   */
  private metric(metricName: string, statistic: string, period = Duration.minutes(5)): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ECS',
      metricName,
      statistic,
      period,
      dimensionsMap: { TargetDiscoveryName: this.discoveryName },
    });
  }

  /** Requests answered by this service through Service Connect: the sum of its response codes. */
  private requests(): cloudwatch.MathExpression {
    return this.responses('c2 + c3 + c4 + c5', 'Requests (Service Connect)');
  }

  /** An expression over the response-code counts c2..c5 of the traffic into this service. */
  private responses(expression: string, label: string): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression,
      usingMetrics: {
        c2: this.metric('HTTPCode_Target_2XX_Count', 'Sum'),
        c3: this.metric('HTTPCode_Target_3XX_Count', 'Sum'),
        c4: this.metric('HTTPCode_Target_4XX_Count', 'Sum'),
        c5: this.metric('HTTPCode_Target_5XX_Count', 'Sum'),
      },
      period: Duration.minutes(5),
      label,
    });
  }
}
