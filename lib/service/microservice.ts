import { Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { MicroserviceApi, MicroserviceApiOptions } from '../api/microservice-api';
import { MicroserviceCache } from '../cache/microservice-cache';
import { ServiceCache } from '../cache/service-cache';
import { IMicroservicePlatform, MicroservicePlatform } from '../platform/microservice-platform';
import { describeMemoryFor, FARGATE_TASK_SIZES } from '../private/fargate';
import { fmt, PropErrors } from '../private/validation';

/** Task-count autoscaling of a {@link Microservice}. */
export interface MicroserviceAutoScalingOptions {
  /**
   * Fewest running tasks, 1 to 5000. Two keeps a task in each of two AZs.
   *
   * @default 2
   */
  readonly minCapacity?: number;
  /**
   * Most running tasks, `minCapacity` to 5000.
   *
   * @default - 10, or `minCapacity` when that is higher
   */
  readonly maxCapacity?: number;
  /**
   * Average CPU utilization the service is scaled to hold, 10 to 90 percent.
   *
   * @default 70
   */
  readonly targetCpuUtilizationPercent?: number;
  /**
   * Average memory utilization the service is scaled to hold, 10 to 90 percent.
   *
   * @default 80
   */
  readonly targetMemoryUtilizationPercent?: number;
}

/** A share of the service's tasks on Fargate Spot. */
export interface FargateSpotOptions {
  /**
   * Percent of the tasks above `onDemandBase` that run on Fargate Spot, 1 to 100.
   */
  readonly percent: number;
  /**
   * Tasks that always run on regular Fargate before the split applies, 0 to 100000.
   *
   * @default 1
   */
  readonly onDemandBase?: number;
}

/** Properties of a {@link Microservice}. */
export interface MicroserviceProps {
  /**
   * The platform the service runs on.
   *
   * @default - the stack's default platform (`MicroservicePlatform.defaultFor(stack)`), created on first use
   */
  readonly platform?: IMicroservicePlatform;

  /** The application's container image. */
  readonly image: ecs.ContainerImage;

  /**
   * The port the application listens on, 1 to 65535.
   *
   * @default 8080
   */
  readonly containerPort?: number;

  /**
   * Name under which the service registers in the platform's namespace (`orders.services.internal`):
   * a lower-case DNS label.
   *
   * @default - the construct id in kebab case ('Orders' → 'orders', 'OrderHistory' → 'order-history')
   */
  readonly discoveryName?: string;

  /**
   * Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.
   *
   * @default 512
   */
  readonly cpu?: number;

  /**
   * Task memory in MiB; only the Fargate combinations with `cpu` are valid.
   *
   * @default 1024
   */
  readonly memoryLimitMiB?: number;

  /**
   * CPU architecture of the task. ARM64 (Graviton) costs about 20% less; the image must be built for it.
   *
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Plain-text environment variables. Put nothing secret here: they are visible in the template.
   *
   * @default - none
   */
  readonly environment?: { [name: string]: string };

  /**
   * Secrets from Secrets Manager or SSM Parameter Store, injected as environment variables at
   * task start. Read access is granted to the task execution role only, never to the task role.
   *
   * @default - none
   */
  readonly secrets?: { [name: string]: ecs.Secret };

  /**
   * Command that overrides the image's CMD.
   *
   * @default - the image's CMD
   */
  readonly command?: string[];

  /**
   * Container health check, run inside the container (the image must contain the command).
   * Interval 5-300 s, timeout 2-120 s, retries 1-10, start period 0-300 s.
   *
   * @default - none: ECS judges the task by its essential container running
   */
  readonly healthCheck?: ecs.HealthCheck;

  /**
   * Retention of the application's log group.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Mount the container's root filesystem read-only. Paths the application writes to go in
   * `writablePaths`. ECS Exec needs a writable root filesystem.
   *
   * @default - true, or false when `enableExecuteCommand` is true
   */
  readonly readonlyRootFilesystem?: boolean;

  /**
   * Absolute paths mounted as writable, task-local scratch volumes (at most 20).
   *
   * @default ['/tmp']
   */
  readonly writablePaths?: string[];

  /**
   * Task-count autoscaling on CPU and memory. The template never sets the service's desired
   * count, so a deploy does not reset the count that autoscaling has reached.
   *
   * @default - 2 to 10 tasks, 70% CPU, 80% memory
   */
  readonly autoScaling?: MicroserviceAutoScalingOptions;

  /**
   * Run a share of the tasks on Fargate Spot (X86_64 only). Tasks are always placed through a
   * capacity provider strategy, so turning this on or off is an in-place update.
   *
   * @default - all tasks on regular Fargate
   */
  readonly fargateSpot?: FargateSpotOptions;

  /**
   * Allow ECS Exec (`aws ecs execute-command`) into the tasks. Grants the task role the SSM
   * messages permissions it needs.
   *
   * @default false
   */
  readonly enableExecuteCommand?: boolean;

  /**
   * The service's own API Gateway front door (HTTP API): routes authorized by the platform's
   * authorizer, throttling, access logs, a private integration through the platform's VPC link.
   *
   * @default - no API: the service is reachable only by callers wired in through `connections`
   */
  readonly api?: MicroserviceApiOptions;

  /**
   * The service's own cache, which only its tasks can reach: `ServiceCache.valkey()` (node-based),
   * `ServiceCache.serverless()` or `ServiceCache.fromAttributes()`. The container receives the
   * endpoint as `CACHE_*` environment variables and the credential as an ECS secret.
   *
   * @default - no cache
   */
  readonly cache?: ServiceCache;
}

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

/** Most tasks one ECS service may run (service quota "Tasks per service"). */
const MAX_TASKS_PER_SERVICE = 5000;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
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
  /** The service's API, when `api` is given. */
  public readonly api?: MicroserviceApi;
  /** The service's cache, when `cache` is given. */
  public readonly cache?: MicroserviceCache;

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

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu,
      memoryLimitMiB,
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
      cluster: this.platform.cluster,
      taskDefinition: this.taskDefinition,
      securityGroups: [this.securityGroup],
      vpcSubnets: this.platform.serviceSubnets,
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      capacityProviderStrategies: capacityProviderStrategies(props.fargateSpot),
      enableExecuteCommand,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
      cloudMapOptions: {
        cloudMapNamespace: this.platform.namespace,
        name: discoveryName,
        dnsRecordType: servicediscovery.DnsRecordType.SRV,
        dnsTtl: Duration.seconds(10),
        container: this.container,
        containerPort,
      },
    });
    this.cloudMapService = this.service.cloudMapService!;
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
      });
    }
    if ((props.environment && Object.keys(props.environment).length > 0) || props.cache) {
      Validations.of(this.taskDefinition).acknowledge({
        id: 'AwsSolutions-ECS2',
        reason: 'Plain environment variables carry non-secret configuration only (the environment prop, the cache endpoint); secrets are injected from Secrets Manager or SSM as ECS secrets.',
      });
    }

    this.connections = new ec2.Connections({
      securityGroups: [this.securityGroup],
      defaultPort: ec2.Port.tcp(containerPort),
    });

    if (props.api) {
      this.api = new MicroserviceApi(this, 'Api', {
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
      });
    }

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

  private requireApi(method: string): MicroserviceApi {
    if (!this.api) throw new Error(`${method}() of Microservice '${this.node.path}' needs the api prop: this service has no API`);
    return this.api;
  }
}

interface ResolvedSettings {
  readonly containerPort: number;
  readonly cpu: number;
  readonly memoryLimitMiB: number;
  readonly cpuArchitecture: ecs.CpuArchitecture;
  readonly enableExecuteCommand: boolean;
  readonly writablePaths: string[];
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly targetCpu: number;
  readonly targetMemory: number;
  readonly discoveryName: string;
}

function validate(path: string, props: MicroserviceProps, s: ResolvedSettings): void {
  const errors = new PropErrors(`Microservice '${path}'`);
  errors.integer('containerPort', s.containerPort, 1, 65535);
  errors.text('discoveryName', s.discoveryName, DNS_LABEL, 'a lower-case DNS label (a-z, 0-9 and "-", 1-63 characters)');

  const cpus = [...FARGATE_TASK_SIZES.keys()];
  errors.oneOf('cpu', s.cpu, cpus);
  const memories = FARGATE_TASK_SIZES.get(s.cpu);
  if (memories && !memories.includes(s.memoryLimitMiB)) {
    errors.add(`memoryLimitMiB must be one of ${describeMemoryFor(s.cpu)} for cpu ${s.cpu}, got ${fmt(s.memoryLimitMiB)}`
      + ` (valid Fargate sizes: ${cpus.map((c) => `cpu ${c}: ${describeMemoryFor(c)}`).join('; ')})`);
  }

  const envNames = Object.keys(props.environment ?? {});
  const secretNames = Object.keys(props.secrets ?? {});
  for (const name of envNames) errors.text(`environment key`, name, ENV_NAME, 'a variable name (letters, digits and "_", not starting with a digit)');
  for (const name of secretNames) errors.text(`secrets key`, name, ENV_NAME, 'a variable name (letters, digits and "_", not starting with a digit)');
  const both = envNames.filter((n) => secretNames.includes(n));
  if (both.length > 0) errors.add(`environment and secrets must not set the same variable, got ${fmt(both)} in both`);

  if (props.command !== undefined) {
    if (props.command.length === 0) errors.add('command must have at least one element when given, got []');
    props.command.forEach((c, i) => errors.text(`command[${i}]`, c));
  }

  if (props.healthCheck) {
    const hc = props.healthCheck;
    if (hc.command.length === 0) errors.add('healthCheck.command must have at least one element, got []');
    errors.seconds('healthCheck.interval', hc.interval, 5, 300);
    errors.seconds('healthCheck.timeout', hc.timeout, 2, 120);
    errors.integer('healthCheck.retries', hc.retries, 1, 10);
    errors.seconds('healthCheck.startPeriod', hc.startPeriod, 0, 300);
  }

  if (props.readonlyRootFilesystem === true && s.enableExecuteCommand) {
    errors.add('readonlyRootFilesystem must be false when enableExecuteCommand is true (the ECS Exec agent writes to the root filesystem), got true');
  }
  if (s.writablePaths.length > 20) errors.add(`writablePaths must have at most 20 entries, got ${s.writablePaths.length}`);
  const seen = new Set<string>();
  s.writablePaths.forEach((p, i) => {
    errors.text(`writablePaths[${i}]`, p, /^\/[A-Za-z0-9._\-/]*[A-Za-z0-9._-]$/, 'an absolute path such as "/tmp" (no trailing "/")');
    if (p === '/') errors.add(`writablePaths[${i}] must not be the root "/", got "/"`);
    const name = volumeName(p);
    if (seen.has(name)) errors.add(`writablePaths must not repeat a path, got ${fmt(p)} twice`);
    seen.add(name);
  });

  errors.integer('autoScaling.minCapacity', s.minCapacity, 1, MAX_TASKS_PER_SERVICE);
  errors.integer('autoScaling.maxCapacity', s.maxCapacity, 1, MAX_TASKS_PER_SERVICE);
  if (s.maxCapacity < s.minCapacity) {
    errors.add(`autoScaling.maxCapacity must be at least autoScaling.minCapacity (${s.minCapacity}), got ${s.maxCapacity}`);
  }
  errors.range('autoScaling.targetCpuUtilizationPercent', s.targetCpu, 10, 90);
  errors.range('autoScaling.targetMemoryUtilizationPercent', s.targetMemory, 10, 90);

  if (props.fargateSpot) {
    errors.integer('fargateSpot.percent', props.fargateSpot.percent, 1, 100);
    errors.integer('fargateSpot.onDemandBase', props.fargateSpot.onDemandBase, 0, 100000);
    if (s.cpuArchitecture === ecs.CpuArchitecture.ARM64) {
      errors.add('fargateSpot must not be set when cpuArchitecture is ARM64 (Fargate Spot runs X86_64 Linux tasks only), got fargateSpot with ARM64');
    }
  }
  errors.throwIfAny();
}

function capacityProviderStrategies(spot: FargateSpotOptions | undefined): ecs.CapacityProviderStrategy[] {
  if (!spot) return [{ capacityProvider: 'FARGATE', weight: 1 }];
  const base = spot.onDemandBase ?? DEFAULTS.spotOnDemandBase;
  const g = gcd(spot.percent, 100 - spot.percent);
  const strategies: ecs.CapacityProviderStrategy[] = [
    { capacityProvider: 'FARGATE', base, weight: (100 - spot.percent) / g },
    { capacityProvider: 'FARGATE_SPOT', weight: spot.percent / g },
  ];
  return strategies;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** 'OrderHistory' → 'order-history'; 'API2Gateway' → 'api2-gateway'. */
function kebab(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .slice(0, 63)
    .replace(/-+$/, '');
}

/** '/var/cache/nginx' → 'writable-var-cache-nginx' (ECS volume names: letters, digits, '-' and '_'). */
function volumeName(path: string): string {
  return `writable${path.replace(/[^A-Za-z0-9_-]+/g, '-')}`.replace(/-+$/, '').slice(0, 255);
}
