import { Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as appmesh from 'aws-cdk-lib/aws-appmesh';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { ApiType, MicroserviceApi } from '../api/microservice-api';
import type { IServiceApiMetrics } from '../api/service-api-base';
import { MicroserviceRestApi } from '../api/microservice-rest-api';
import { MicroserviceCache } from '../cache/microservice-cache';
import { ServiceCallGraph } from '../mesh/call-graph';
import { RetryPolicy } from '../mesh/retry-policy';
import { MeshServiceBinding } from '../mesh/service-mesh';
import { ServiceAlarmProps, ServiceMonitoring } from '../monitoring/service-monitoring';
import { IMicroservicePlatform, MicroservicePlatform } from '../platform/microservice-platform';
import { capacityProviderStrategies, kebab, validate, volumeName } from '../private/microservice-settings';
import { grantXRayWrite, pascal } from '../private/grants';
import { PropErrors } from '../private/validation';
import { MicroserviceProps } from './microservice-props';

export * from './microservice-props';

/** Defaults of {@link MicroserviceProps}. */
const DEFAULTS = {
  containerPort: 8080,
  cpu: 512,
  memoryLimitMiB: 1024,
  logRetention: logs.RetentionDays.ONE_MONTH,
  writablePaths: ['/tmp'],
  minCapacity: 2,
  maxCapacity: 10,
  targetCpuUtilizationPercent: 70,
  targetMemoryUtilizationPercent: 80,
  spotOnDemandBase: 1,
} as const;

const CONTAINER_NAME = 'app';
const PORT_MAPPING_NAME = 'http';

/**
 * A complete microservice unit: an ECS Fargate service with its task definition, logging,
 * autoscaling, safe deployments and a security group that admits no caller until one is wired in.
 */
export class Microservice extends Construct implements ec2.IConnectable {
  /** The platform the service runs on. */
  public readonly platform: IMicroservicePlatform;
  /** The Fargate service. */
  public readonly service: ecs.FargateService;
  /** The task definition. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The application container. */
  public readonly container: ecs.ContainerDefinition;
  /** The application's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The tasks' security group: no ingress until a caller is wired in. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Network connections of the tasks; the default port is the container port. */
  public readonly connections: ec2.Connections;
  /** The task-count autoscaling target. */
  public readonly scaling: ecs.ScalableTaskCount;
  /** The service's Cloud Map registration. */
  public readonly cloudMapService: servicediscovery.IService;
  /** The port the application listens on. */
  public readonly containerPort: number;
  /** The name the service registers under in the platform namespace. */
  public readonly discoveryName: string;
  /** The service's HTTP API, when `api` is given with the default `type: ApiType.HTTP`. */
  public readonly api?: MicroserviceApi;
  /** The service's REST API, when `api` is given with `type: ApiType.REST`. */
  public readonly restApi?: MicroserviceRestApi;
  /** The service's cache, when `cache` is given. */
  public readonly cache?: MicroserviceCache;
  /** How callers retry requests to this service. */
  public readonly retryPolicy: RetryPolicy;
  /** How long a request into this service may take through the mesh. */
  public readonly requestTimeout: Duration;
  /** What the platform's mesh made for this service: its endpoint, and App Mesh's resources. */
  public readonly mesh: MeshServiceBinding;
  /** Alarms, health alarm, deployment alarms and dashboard. */
  public readonly monitoring: ServiceMonitoring;
  /** The OpenTelemetry collector sidecar, with `tracing`. */
  public readonly collector?: ecs.ContainerDefinition;

  private readonly callers: Microservice[] = [];
  private readonly canaries: Microservice[] = [];
  private environmentAcknowledged = false;

  constructor(scope: Construct, id: string, props: MicroserviceProps) {
    super(scope, id);

    const containerPort = props.containerPort ?? DEFAULTS.containerPort;
    const cpu = props.cpu ?? DEFAULTS.cpu;
    const memoryLimitMiB = props.memoryLimitMiB ?? DEFAULTS.memoryLimitMiB;
    const cpuArchitecture = props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64;
    const enableExecuteCommand = props.enableExecuteCommand ?? false;
    const readonlyRootFilesystem = props.readonlyRootFilesystem ?? !enableExecuteCommand;
    const writablePaths = props.writablePaths ?? [...DEFAULTS.writablePaths];
    const minCapacity = props.autoScaling?.minCapacity ?? DEFAULTS.minCapacity;
    const maxCapacity = props.autoScaling?.maxCapacity ?? Math.max(DEFAULTS.maxCapacity, minCapacity);
    const targetCpu = props.autoScaling?.targetCpuUtilizationPercent ?? DEFAULTS.targetCpuUtilizationPercent;
    const targetMemory = props.autoScaling?.targetMemoryUtilizationPercent ?? DEFAULTS.targetMemoryUtilizationPercent;
    const discoveryName = props.discoveryName ?? kebab(id);

    validate(this.node.path, props, {
      containerPort, cpu, memoryLimitMiB, cpuArchitecture, enableExecuteCommand, writablePaths,
      minCapacity, maxCapacity, targetCpu, targetMemory, discoveryName,
    });

    this.platform = props.platform ?? MicroservicePlatform.defaultFor(this);
    this.containerPort = containerPort;
    this.discoveryName = discoveryName;

    this.retryPolicy = props.retryPolicy ?? RetryPolicy.none();
    const apiTimeout = props.api?.timeout;
    const serviceConnect = this.platform.mesh.kind === 'serviceConnect';
    const floorMs = serviceConnect ? 1000 : 1;
    // Service Connect takes whole seconds: a default taken from the API timeout rounds down.
    const fromApi = (ms: number) => (serviceConnect ? Duration.seconds(Math.max(1, Math.floor(ms / 1000))) : Duration.millis(Math.max(floorMs, ms)));
    this.requestTimeout = props.requestTimeout
      ?? (apiTimeout && !apiTimeout.isUnresolved() && apiTimeout.toMilliseconds() < 15000
        ? fromApi(apiTimeout.toMilliseconds()) : Duration.seconds(15));
    if (serviceConnect) {
      const errors = new PropErrors(`Microservice '${this.node.path}'`);
      for (const [prop, d] of [['requestTimeout', props.requestTimeout], ['idleTimeout', props.idleTimeout]] as const) {
        if (!d || d.isUnresolved()) continue;
        const ms = d.toMilliseconds();
        if (ms < 1000) errors.add(`${prop} must be at least 1 s with ServiceMesh.serviceConnect() (the minimum of its ${prop === 'requestTimeout' ? 'perRequestTimeout' : 'idleTimeout'}), got ${ms} ms`);
        else if (ms % 1000 !== 0) errors.add(`${prop} must be a whole number of seconds with ServiceMesh.serviceConnect(), got ${ms} ms`);
      }
      errors.throwIfAny();
    }

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu,
      memoryLimitMiB,
      proxyConfiguration: this.platform.mesh.proxyConfiguration(containerPort, cachePorts(props)),
      runtimePlatform: { cpuArchitecture, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? DEFAULTS.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.container = this.taskDefinition.addContainer('App', {
      containerName: CONTAINER_NAME,
      image: props.image,
      essential: true,
      command: props.command,
      environment: props.environment,
      secrets: props.secrets,
      healthCheck: props.healthCheck,
      readonlyRootFilesystem,
      portMappings: [{
        containerPort,
        protocol: ecs.Protocol.TCP,
        name: PORT_MAPPING_NAME,
        appProtocol: ecs.AppProtocol.http,
      }],
      logging: ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: CONTAINER_NAME,
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });
    for (const path of writablePaths) {
      const sourceVolume = volumeName(path);
      this.taskDefinition.addVolume({ name: sourceVolume });
      this.container.addMountPoints({ containerPath: path, sourceVolume, readOnly: false });
    }
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.platform.vpc,
      description: `Tasks of ${this.node.path}: no ingress until a caller is wired in`,
      allowAllOutbound: true,
    });

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: discoveryName,
      cluster: this.platform.cluster,
      taskDefinition: this.taskDefinition,
      securityGroups: [this.securityGroup],
      vpcSubnets: this.platform.serviceSubnets,
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      deploymentStrategy: props.deployment?.strategy,
      canaryConfiguration: props.deployment?.canary,
      linearConfiguration: props.deployment?.linear,
      bakeTime: props.deployment?.bakeTime,
      capacityProviderStrategies: capacityProviderStrategies(props.fargateSpot),
      enableExecuteCommand,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
    });
    // A and SRV records: `<name>.<namespace>` resolves to the tasks (what App Mesh's Envoy and
    // plain DNS clients need), and the SRV records carry the port (what API Gateway needs).
    const cloudMapService = new servicediscovery.Service(this, 'CloudMapService', {
      namespace: this.platform.namespace,
      name: discoveryName,
      dnsRecordType: servicediscovery.DnsRecordType.SRV,
      dnsTtl: Duration.seconds(10),
      customHealthCheck: { failureThreshold: 1 },
    });
    (cloudMapService.node.defaultChild as servicediscovery.CfnService).addPropertyOverride('DnsConfig.DnsRecords', [
      { Type: 'A', TTL: 10 },
      { Type: 'SRV', TTL: 10 },
    ]);
    this.service.associateCloudMapService({ service: cloudMapService, container: this.container, containerPort });
    this.cloudMapService = cloudMapService;
    // The strategy names the cluster's Fargate capacity providers: create the service only after
    // the cluster's capacity provider association exists (a cross-stack cluster is already
    // deployed; an imported one adds nothing).
    this.service.node.addDependency(this.platform.cluster);

    if (enableExecuteCommand) {
      Validations.of(this.taskDefinition.taskRole).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ECS Exec: the ssmmessages channel actions do not support resource-level permissions (Service Authorization Reference, Amazon Session Manager Message Gateway Service).',
      });
    }

    if (props.cache) {
      this.cache = new MicroserviceCache(this, 'Cache', {
        cache: props.cache,
        vpc: this.platform.vpc,
        subnets: this.platform.serviceSubnets,
        taskSecurityGroup: this.securityGroup,
        container: this.container,
        taskRole: this.taskDefinition.taskRole,
        createAlarms: props.alarms?.enabled ?? true,
      });
    }
    if ((props.environment && Object.keys(props.environment).length > 0) || props.cache) this.acknowledgeEnvironment();

    this.mesh = this.platform.mesh.bindService({
      scope: this,
      discoveryName,
      containerPort,
      service: this.service,
      taskDefinition: this.taskDefinition,
      container: this.container,
      cloudMapService: this.cloudMapService,
      namespace: this.platform.namespace,
      logGroup: this.logGroup,
      retryPolicy: this.retryPolicy,
      requestTimeout: this.requestTimeout,
      idleTimeout: props.idleTimeout,
      outlierDetection: props.outlierDetection,
      connectionPool: props.connectionPool,
      healthCheckPath: props.healthCheckPath ?? '/',
    });
    if (this.mesh.addsEnvironment) this.acknowledgeEnvironment();

    this.connections = new ec2.Connections({
      securityGroups: [this.securityGroup],
      defaultPort: ec2.Port.tcp(containerPort),
    });

    if (props.api) {
      const apiProps = {
        ...props.api,
        serviceName: discoveryName,
        authorizer: this.platform.auth,
        platformScope: this.platform.sharedScope,
        domainName: this.platform.apiDomainName,
        target: {
          vpc: this.platform.vpc,
          subnets: this.platform.serviceSubnets,
          vpcLink: this.platform.vpcLink,
          vpcLinkSecurityGroup: this.platform.vpcLinkSecurityGroup,
          service: this.service,
          cloudMapService: this.cloudMapService,
          taskSecurityGroup: this.securityGroup,
          containerPort,
        },
      };
      if (props.api.type === ApiType.REST) {
        this.restApi = new MicroserviceRestApi(this, 'Api', {
          ...apiProps,
          enableLogging: () => this.platform.enableRestApiLogging(),
        });
      } else {
        this.api = new MicroserviceApi(this, 'Api', apiProps);
      }
    }
    const frontDoor = this.api ?? this.restApi;

    if (props.tracing) this.collector = this.addTracing(props.tracingCollectorImage);

    const pool = this.platform.auth.userPool;
    if ((this.api?.authorizer || this.restApi?.authorizer) && pool instanceof cognito.UserPool && pool.node.scope === this.platform.sharedScope) {
      this.platform.monitorUserPool(pool);
    }
    this.monitoring = new ServiceMonitoring(this, 'Monitoring', {
      name: discoveryName,
      servicePath: this.node.path,
      service: this.service,
      ecsServiceName: discoveryName,
      clusterName: this.platform.cluster.clusterName,
      alarmTopic: this.platform.alarmTopic,
      warningTopic: this.platform.warningTopic,
      options: props.alarms ?? {},
      api: frontDoor,
      restApi: this.restApi,
      targetGroup: frontDoor?.targetGroup,
      cache: this.cache,
      serviceConnectDiscoveryName: this.platform.mesh.kind === 'serviceConnect' ? `${discoveryName}-sc` : undefined,
    });
    this.platform.addServiceToOverview({
      name: discoveryName,
      ecsServiceName: discoveryName,
      healthAlarmName: this.monitoring.healthAlarm ? this.monitoring.healthAlarmName : undefined,
      serviceConnectDiscoveryName: this.platform.mesh.kind === 'serviceConnect' ? `${discoveryName}-sc` : undefined,
    });

    const graph = ServiceCallGraph.of(this);
    graph.addService(this.node.path, () => ({
      path: this.node.path,
      name: this.discoveryName,
      attempts: this.retryPolicy.attempts,
      perRetryTimeout: this.retryPolicy.perRetryTimeout,
      requestTimeout: this.requestTimeout,
      apiTimeout: frontDoor?.timeout,
    }));
    this.node.addValidation({ validate: () => ServiceCallGraph.of(this).violationsOf(this.node.path) });

    this.scaling = this.service.autoScaleTaskCount({ minCapacity, maxCapacity });
    this.scaling.scaleOnCpuUtilization('CpuScaling', { targetUtilizationPercent: targetCpu });
    this.scaling.scaleOnMemoryUtilization('MemoryScaling', { targetUtilizationPercent: targetMemory });
  }

  /**
   * Average CPU utilization of the service's tasks (AWS/ECS CPUUtilization).
   *
   * @default - average over 5 minutes
   */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.metricCpuUtilization(props);
  }

  /**
   * Average memory utilization of the service's tasks (AWS/ECS MemoryUtilization).
   *
   * @default - average over 5 minutes
   */
  public metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.metricMemoryUtilization(props);
  }

  /**
   * Lets this service call `callee`: a security-group rule (in this service's stack) admits this
   * service's tasks on the callee's port, the mesh learns the dependency (App Mesh: a backend of
   * this virtual node; egress elsewhere is dropped), and this container receives the callee's URL
   * as `<CALLEE>_URL` (`PAYMENTS_URL=http://payments:8080`). Nothing else may call the callee.
   */
  public connectTo(callee: Microservice): void {
    if (callee === this) throw new Error(`connectTo() of Microservice '${this.node.path}' got the service itself`);
    if (callee.platform.mesh !== this.platform.mesh) {
      throw new Error(`connectTo() of Microservice '${this.node.path}' needs both services on the same platform mesh, got '${callee.node.path}' on another`);
    }
    if (callee.callers.includes(this)) return;
    callee.callers.push(this);
    for (const target of [callee, ...callee.canaries]) this.admitInto(target, `Calls${pascal(target.discoveryName)}`);
    this.platform.mesh.connect(this.mesh, callee.mesh);
    this.container.addEnvironment(`${callee.discoveryName.replace(/-/g, '_').toUpperCase()}_URL`, callee.mesh.endpoint);
    this.acknowledgeEnvironment();
    ServiceCallGraph.of(this).addCall(this.node.path, callee.node.path);
  }

  /**
   * Sends `percent` of the traffic for this service to `canary`, another version of it, through
   * App Mesh weighted routing (1 to 99). The canary's tasks admit this service's callers. On
   * Service Connect, use `deployment` (ECS's native canary and linear deployments) instead.
   */
  public routeCanary(canary: Microservice, percent: number): void {
    const errors = new PropErrors(`routeCanary() of Microservice '${this.node.path}'`);
    if (this.platform.mesh.kind !== 'appMesh') {
      errors.add('routeCanary needs ServiceMesh.appMesh() on the platform (weighted routing); with Service Connect use the deployment prop (ecs.DeploymentStrategy.CANARY or LINEAR), got Service Connect');
    }
    if (canary === this || canary.platform.mesh !== this.platform.mesh) errors.add(`canary must be another service on the same platform, got '${canary.node.path}'`);
    errors.integer('percent', percent, 1, 99);
    if (this.canaries.length > 0) errors.add(`a service routes to one canary at a time, got a second: '${canary.node.path}'`);
    errors.throwIfAny();
    this.canaries.push(canary);
    const route = this.mesh.route!.node.defaultChild as appmesh.CfnRoute;
    const kind = this.retryPolicy.protocol === 'grpc' ? 'GrpcRoute' : 'HttpRoute';
    route.addPropertyOverride(`Spec.${kind}.Action.WeightedTargets`, [
      { VirtualNode: this.discoveryName, Weight: 100 - percent },
      { VirtualNode: canary.discoveryName, Weight: percent },
    ]);
    route.node.addDependency(canary.mesh.virtualNode!);
    for (const caller of this.callers) caller.admitInto(canary, `Calls${pascal(canary.discoveryName)}`);
  }

  /** The service's alarms, by id: the defaults that are on, the cache's, and those added. */
  public get alarms(): { [id: string]: cloudwatch.Alarm } {
    return this.monitoring.alarms;
  }

  /** The service's dashboard. */
  public get dashboard(): cloudwatch.Dashboard {
    return this.monitoring.dashboard;
  }

  /** The service's dashboard widgets, for a dashboard of your own. */
  public widgets(): cloudwatch.IWidget[] {
    return this.monitoring.widgets();
  }

  /**
   * Adds an alarm on the service's metrics, named `<stack>-<service>-<id>` and routed like the
   * default ones: critical joins the health alarm (which pages), warning notifies.
   */
  public addAlarm(id: string, props: ServiceAlarmProps): cloudwatch.Alarm {
    return this.monitoring.addAlarm(id, props);
  }

  private addTracing(image?: string): ecs.ContainerDefinition {
    const collector = this.taskDefinition.addContainer('Collector', {
      containerName: 'otel-collector',
      image: ecs.ContainerImage.fromRegistry(image ?? 'public.ecr.aws/aws-observability/aws-otel-collector:v0.41.1'),
      command: ['--config=/etc/ecs/ecs-xray.yaml'],
      essential: false,
      readonlyRootFilesystem: true,
      memoryReservationMiB: 64,
      healthCheck: { command: ['CMD', '/healthcheck'], interval: Duration.seconds(10), timeout: Duration.seconds(5), retries: 3, startPeriod: Duration.seconds(10) },
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'otel-collector' }),
    });
    this.container.addContainerDependencies({ container: collector, condition: ecs.ContainerDependencyCondition.START });
    for (const [k, v] of Object.entries({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4317',
      OTEL_SERVICE_NAME: this.discoveryName,
      OTEL_PROPAGATORS: 'tracecontext,baggage,xray',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.05',
    })) this.container.addEnvironment(k, v);
    this.acknowledgeEnvironment();
    grantXRayWrite(this.taskDefinition.taskRole);
    return collector;
  }

  private admitInto(target: Microservice, id: string): void {
    if (this.node.tryFindChild(id)) return;
    new ec2.CfnSecurityGroupIngress(this, id, {
      groupId: target.securityGroup.securityGroupId,
      sourceSecurityGroupId: this.securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: target.containerPort,
      toPort: target.containerPort,
      description: `${this.node.path} calls ${target.node.path}`,
    });
  }

  private acknowledgeEnvironment(): void {
    if (this.environmentAcknowledged) return;
    this.environmentAcknowledged = true;
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'Plain environment variables carry non-secret configuration only (the environment prop, the cache and callee endpoints, the Envoy resource ARN); secrets are injected from Secrets Manager or SSM as ECS secrets.',
    });
  }

  /** The API's 5XX responses (AWS/ApiGateway 5xx), sum over 5 minutes. Needs `api`. */
  public metricServerError(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireApi('metricServerError').metricServerError(props);
  }

  /** The API's 4XX responses (AWS/ApiGateway 4xx), sum over 5 minutes. Needs `api`. */
  public metricClientError(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireApi('metricClientError').metricClientError(props);
  }

  /** The API's requests (AWS/ApiGateway Count), sum over 5 minutes. Needs `api`. */
  public metricRequestCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireApi('metricRequestCount').metricCount(props);
  }

  /** The API's latency (AWS/ApiGateway Latency), p99 over 5 minutes. Needs `api`. */
  public metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireApi('metricLatency').metricLatency(props);
  }

  /** The service's latency behind the API (AWS/ApiGateway IntegrationLatency), p99 over 5 minutes. Needs `api`. */
  public metricIntegrationLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireApi('metricIntegrationLatency').metricIntegrationLatency(props);
  }

  /** Requests the API throttled (status 429, from the access log), sum over 5 minutes. Needs `api`. */
  public metricThrottled(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.requireApi('metricThrottled').metricThrottled(props);
  }

  private requireApi(method: string): IServiceApiMetrics {
    const api = this.api ?? this.restApi;
    if (!api) throw new Error(`${method}() of Microservice '${this.node.path}' needs the api prop: this service has no API`);
    return api;
  }
}


/** The ports the service's cache listens on: traffic to them bypasses an App Mesh proxy. */
function cachePorts(props: MicroserviceProps): number[] {
  const s = props.cache?.settings;
  if (!s) return [];
  if (s.kind === 'serverless') return [6379, 6380];
  return [s.port];
}
