import { Annotations, Aspects, Aws, Duration, Lazy, RemovalPolicy, Size, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import type { MicroserviceProps } from './microservice-props';
import type { ResolvedSettings } from './service-settings';
import type { SidecarContainerOptions } from './sidecar-options';
import { ServiceProtocol } from '../mesh/resilience';
import type { ServicePart, ServiceTask, SidecarOptions } from '../private/binding';
import type { AppContainerContribution, TaskDefinitionContribution } from '../private/feature';
import { conditionTrust } from '../private/grants';
import { isDockerHubImage } from '../private/image-reference';
import { createLogGroup, LogSettings } from '../private/log-groups';
import { PropErrors } from '../private/validation';
import { APP_CONTAINER_NAME, APP_PORT_MAPPING_NAME, volumeName } from '../private/names';

/** What the application container keeps at least, after the sidecars' reservations. */
const APP_MIN_CPU = 128;
const APP_MIN_MEMORY_MIB = 256;
/**
 * Names and construct ids of the containers the library's features add (some only later, on a
 * first `connectTo`): a user's sidecar may take none of them.
 */
const LIBRARY_CONTAINERS = ['envoy', 'envoy-metrics', 'otel-collector', 'log-router', 'amazon-ssm-agent'];
const LIBRARY_CONTAINER_IDS = ['App', 'Envoy', 'EnvoyMetrics', 'Collector', 'LogRouter', 'SsmAgent'];

/**
 * The task of a service: its definition, its log group, the application container with its
 * writable scratch volumes, and the sidecars its parts add. Every sidecar goes through
 * `addSidecar`, which counts its CPU and memory against the task size, starts the application
 * after it, and hands the application its environment.
 */
export class ServiceTaskDefinition implements ServiceTask {
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly container: ecs.ContainerDefinition;
  public readonly logGroup: logs.LogGroup;
  public readonly logs: LogSettings;
  private readonly sidecars: Array<{
    readonly container: ecs.ContainerDefinition; readonly name: string; readonly cpu: number; readonly memory: number;
    readonly readonlyRootFilesystem: boolean; readonly listenPorts: number[]; readonly user: boolean;
  }> = [];
  /** Whether the library gave the app plain environment variables (AwsSolutions-ECS2 flags any). */
  private libraryEnvironment = false;
  /** The app's variables the library set: any other the app has at synth is the user's. */
  private readonly libraryEnvironmentNames = new Set<string>();
  private readonly userEnvironmentNames: ReadonlySet<string>;

  constructor(scope: Construct, private readonly s: ResolvedSettings, props: MicroserviceProps, logSettings: LogSettings,
    contributions: { readonly taskDefinition: TaskDefinitionContribution; readonly appContainer: AppContainerContribution }) {
    this.logs = logSettings;
    this.taskDefinition = new ecs.FargateTaskDefinition(scope, 'TaskDefinition', {
      cpu: s.cpu,
      memoryLimitMiB: s.memoryLimitMiB,
      runtimePlatform: { cpuArchitecture: s.cpuArchitecture, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      ...contributions.taskDefinition,
    });
    // Only ECS tasks of this account and region may assume the task role (ECS guide, "Amazon ECS
    // task IAM role": aws:SourceAccount, and aws:SourceArn of any cluster, "specifying a specific
    // cluster is not currently supported").
    conditionTrust(this.taskDefinition.taskRole, `arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*`);
    this.logGroup = createLogGroup(scope, 'LogGroup', this.logs, {
      retention: s.logRetention, defaultRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN,
    });
    this.container = this.taskDefinition.addContainer('App', {
      containerName: APP_CONTAINER_NAME,
      image: props.image,
      essential: true,
      user: props.user,
      // A hard limit on every container (Control Tower CT.ECS.PR.7): the app may use what the
      // sidecars' reservations leave of the task, however many sidecars its parts add later.
      memoryLimitMiB: Lazy.number({ produce: () => s.memoryLimitMiB - this.sidecars.reduce((n, c) => n + c.memory, 0) }),
      command: props.command,
      environment: props.environment,
      secrets: props.secrets,
      healthCheck: props.healthCheck,
      readonlyRootFilesystem: s.readonlyRootFilesystem,
      portMappings: [{
        containerPort: s.containerPort,
        protocol: ecs.Protocol.TCP,
        name: APP_PORT_MAPPING_NAME,
        appProtocol: s.protocol === ServiceProtocol.GRPC ? ecs.AppProtocol.grpc : s.protocol === ServiceProtocol.HTTP2 ? ecs.AppProtocol.http2 : ecs.AppProtocol.http,
      }],
      logging: contributions.appContainer.logging ?? ecs.LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: APP_CONTAINER_NAME,
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });
    for (const path of s.writablePaths) {
      const sourceVolume = volumeName(path);
      this.taskDefinition.addVolume({ name: sourceVolume });
      this.container.addMountPoints({ containerPath: path, sourceVolume, readOnly: false });
    }
    this.userEnvironmentNames = new Set(Object.keys(props.environment ?? {}));
    scope.node.addValidation({ validate: () => this.sizeErrors() });
    // Decided once every container is added, the user's own included (aspects run before validation).
    Aspects.of(this.taskDefinition).add({
      visit: (node: IConstruct) => {
        if (node !== this.taskDefinition) return;
        this.acknowledgeEnvironment();
        this.warnOfAnonymousDockerHubPulls(scope);
      },
    });
  }

  public addSidecar(o: SidecarOptions): ecs.ContainerDefinition {
    const { id, appStartsAfter, appEnvironment, listenPorts, portsProp, ...container } = o;
    if (Object.keys(o.environment ?? {}).length > 0) this.libraryEnvironment = true;
    return this.addContainer(id, { ...container, readonlyRootFilesystem: o.readonlyRootFilesystem ?? true }, appStartsAfter, false, appEnvironment, listenPorts, portsProp);
  }

  /**
   * A sidecar of the user's (`Microservice.addSidecar`): counted against the task size like the
   * library's, logging to the service's log group unless it says otherwise.
   */
  public addUserSidecar(id: string, o: SidecarContainerOptions): ecs.ContainerDefinition {
    const errors = new PropErrors(`addSidecar('${id}') of Microservice '${this.s.path}'`);
    errors.integer('cpu', o.cpu, 0, this.s.cpu);
    if (o.cpu === undefined) errors.add(`cpu must be set: the CPU units the sidecar reserves, counted against the task's ${this.s.cpu} (0 to ${this.s.cpu}), got undefined`);
    const memory = o.memoryReservationMiB ?? o.memoryLimitMiB;
    if (memory === undefined) errors.add(`memoryReservationMiB or memoryLimitMiB must be set: the memory the sidecar reserves, counted against the task's ${this.s.memoryLimitMiB} MiB, got neither`);
    errors.integer('memoryReservationMiB', o.memoryReservationMiB, 6, this.s.memoryLimitMiB);
    errors.integer('memoryLimitMiB', o.memoryLimitMiB, 6, this.s.memoryLimitMiB);
    if (o.memoryLimitMiB !== undefined && o.memoryReservationMiB !== undefined && o.memoryLimitMiB < o.memoryReservationMiB) {
      errors.add(`memoryLimitMiB must be at least memoryReservationMiB (${o.memoryReservationMiB}), got ${o.memoryLimitMiB}`);
    }
    const cpuTaken = this.sidecars.reduce((n, c) => n + c.cpu, 0);
    if (typeof o.cpu === 'number' && o.cpu <= this.s.cpu && cpuTaken + o.cpu > this.s.cpu) {
      errors.add(`cpu must fit in what the other sidecars leave of the task's ${this.s.cpu} (${this.s.cpu - cpuTaken}), got ${o.cpu}: raise the service's cpu`);
    }
    const name = o.containerName ?? id;
    const taken = [APP_CONTAINER_NAME, ...new Set([...this.sidecars.map((c) => c.name), ...LIBRARY_CONTAINERS])];
    if (taken.includes(name)) errors.add(`containerName must differ from the task's other containers and those the library adds (${taken.join(', ')}), got "${name}"`);
    if (LIBRARY_CONTAINER_IDS.includes(id)) errors.add(`id must differ from the ids of the library's containers (${LIBRARY_CONTAINER_IDS.join(', ')}), got "${id}"`);
    if (o.appStartsAfter === ecs.ContainerDependencyCondition.HEALTHY && !o.healthCheck) errors.add('appStartsAfter HEALTHY needs a healthCheck on the sidecar (ECS waits for it to report healthy), got none');
    const once = [ecs.ContainerDependencyCondition.COMPLETE, ecs.ContainerDependencyCondition.SUCCESS];
    if (o.appStartsAfter && once.includes(o.appStartsAfter) && o.essential !== false) {
      // ECS API reference, ContainerDependency: COMPLETE and SUCCESS "can't be set on an essential container".
      errors.add(`appStartsAfter ${o.appStartsAfter} needs essential: false (ECS refuses the condition on an essential container), got ${o.essential ?? 'undefined (essential)'}`);
    }
    errors.throwIfAny();
    const { appStartsAfter, ...container } = o;
    return this.addContainer(id, {
      ...container,
      containerName: name,
      cpu: o.cpu!,
      memoryReservationMiB: memory!,
      readonlyRootFilesystem: o.readonlyRootFilesystem ?? true,
    }, appStartsAfter ?? ecs.ContainerDependencyCondition.START, true);
  }

  /** Every sidecar goes in here: its ports checked, its CPU and memory counted, the app started after it. */
  private addContainer(id: string, o: ecs.ContainerDefinitionOptions & {
    readonly cpu: number; readonly memoryReservationMiB: number; readonly containerName: string; readonly firelensConfig?: ecs.FirelensConfig;
  },
    appStartsAfter: ecs.ContainerDependencyCondition, user: boolean, appEnvironment: { [name: string]: string } = {}, listenPorts: number[] = [],
    portsProp?: string): ecs.ContainerDefinition {
    // Containers of a task share its network namespace: two cannot listen on one port.
    const wanted = [...listenPorts, ...(o.portMappings ?? []).map((m) => m.containerPort)];
    const clash = wanted.filter((p) => this.listenPorts().includes(p));
    if (clash.length > 0) {
      const errors = new PropErrors(`Microservice '${this.s.path}'`);
      const owners = this.sidecars.filter((c) => c.listenPorts.some((p) => clash.includes(p))).map((c) => c.name);
      if (clash.includes(this.s.containerPort)) errors.add(`containerPort must not be a port the ${o.containerName} sidecar listens on (${wanted.join(', ')}), got ${this.s.containerPort}`);
      if (owners.length > 0) {
        errors.add(`the ${o.containerName} sidecar needs ports ${clash.filter((p) => p !== this.s.containerPort).join(', ')}${portsProp ? ` (${portsProp})` : ''}, `
          + `which the ${owners.join(' and ')} sidecar of the task listens on: containers of a task share its network`);
      }
      errors.throwIfAny();
    }
    const { firelensConfig, ...options } = o;
    const props = { ...options, logging: o.logging ?? ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: o.containerName }) };
    // The FireLens router is a container of its own class (it renders FirelensConfiguration).
    const sidecar = firelensConfig ? this.taskDefinition.addFirelensLogRouter(id, { ...props, firelensConfig }) : this.taskDefinition.addContainer(id, props);
    this.container.addContainerDependencies({ container: sidecar, condition: appStartsAfter });
    for (const [k, v] of Object.entries(appEnvironment)) this.addEnvironment(k, v);
    this.sidecars.push({
      container: sidecar, name: o.containerName, cpu: o.cpu, memory: o.memoryReservationMiB, readonlyRootFilesystem: o.readonlyRootFilesystem === true,
      listenPorts: wanted, user,
    });
    return sidecar;
  }

  /**
   * Whether every container of the task but `except` has a read-only root filesystem: then a
   * Control Tower finding on the task definition about it is `except`'s alone. Every container
   * counts, those added with `taskDefinition.addContainer()` too, so call it once all are added
   * (from an aspect).
   */
  public othersReadOnly(except: string): boolean {
    return [
      this.s.readonlyRootFilesystem,
      ...this.sidecars.filter((c) => c.name !== except).map((c) => c.readonlyRootFilesystem),
      ...this.foreignContainers().map((c) => c.renderContainerDefinition().readonlyRootFilesystem === true),
    ].every(Boolean);
  }

  public listenPorts(): number[] {
    return [this.s.containerPort, ...this.sidecars.flatMap((c) => c.listenPorts)];
  }

  /** Adds a variable the library sets; one the user's `environment` sets keeps the user's value. */
  public addEnvironment(name: string, value: string): void {
    if (this.userEnvironmentNames.has(name)) return;
    this.container.addEnvironment(name, value);
    this.libraryEnvironment = true;
    this.libraryEnvironmentNames.add(name);
  }

  public addSecret(name: string, secret: ecs.Secret): void {
    this.container.addSecret(name, secret);
  }

  /** The sidecars must leave the application its minimum of CPU and memory. */
  private sizeErrors(): string[] {
    // A container added to the task definition directly escapes the budget: ECS requires the
    // containers' memory to fit the task's, which the app's hard limit (what the sidecars leave)
    // would then not, and nothing would start it before the app.
    const foreign = this.foreignContainers().map((c) => `addSidecar() of Microservice '${this.s.path}' must add every container besides the app, `
      + `which counts its CPU and memory against the task size (the app container gets what the sidecars leave) and starts the app after it; `
      + `got container "${c.containerName}" added with taskDefinition.addContainer(): use service.addSidecar('${c.node.id}', { ...its options, cpu, memoryReservationMiB })`);
    if (foreign.length > 0) return foreign;
    // Ports added to a container after it was added (`sidecar.addPortMappings()`) are checked here.
    const seen = new Map<number, string>();
    for (const c of [this.container, ...this.sidecars.map((x) => x.container)]) {
      for (const m of c.portMappings) {
        const other = seen.get(m.containerPort);
        if (other !== undefined && other !== c.containerName) {
          return [`the ${c.containerName} container of Microservice '${this.s.path}' must not listen on a port of the ${other} container (containers of a task share its network), got ${m.containerPort}`];
        }
        seen.set(m.containerPort, c.containerName);
      }
    }
    if (this.sidecars.length === 0) return [];
    const list = this.sidecars.map((c) => `${c.name} ${c.cpu} CPU units / ${c.memory} MiB`).join(', ');
    const cpuLeft = this.s.cpu - this.sidecars.reduce((n, c) => n + c.cpu, 0);
    const memoryLeft = this.s.memoryLimitMiB - this.sidecars.reduce((n, c) => n + c.memory, 0);
    const errors: string[] = [];
    if (cpuLeft < APP_MIN_CPU) {
      errors.push(`cpu of Microservice '${this.s.path}' must leave the app container at least ${APP_MIN_CPU} CPU units after its sidecars (${list}), got cpu ${this.s.cpu}, which leaves ${cpuLeft}: raise cpu`);
    }
    if (memoryLeft < APP_MIN_MEMORY_MIB) {
      errors.push(`memoryLimitMiB of Microservice '${this.s.path}' must leave the app container at least ${APP_MIN_MEMORY_MIB} MiB after its sidecars (${list}), got memoryLimitMiB ${this.s.memoryLimitMiB}, which leaves ${memoryLeft}: raise memoryLimitMiB`);
    }
    return errors;
  }

  /**
   * Every container whose image comes from Docker Hub without registry credentials: Docker Hub
   * allows 10 anonymous pulls per hour per IPv4 address (Docker's documentation, "Usage and
   * limits"), Fargate caches no image, and every task of the VPC leaves through the same NAT
   * addresses, so a deployment of a few tasks fails with CannotPullContainerError (toomanyrequests).
   */
  private warnOfAnonymousDockerHubPulls(scope: Construct): void {
    for (const c of this.taskDefinition.node.children.filter((x): x is ecs.ContainerDefinition => x instanceof ecs.ContainerDefinition)) {
      const rendered = c.renderContainerDefinition();
      const image = rendered.image;
      if (typeof image !== 'string' || Token.isUnresolved(image) || !isDockerHubImage(image) || rendered.repositoryCredentials) continue;
      Annotations.of(scope).addWarningV2(`cdk-microservice:dockerHubAnonymousPull:${c.containerName}`,
        `The ${c.containerName} container pulls ${image} from Docker Hub without credentials: Docker Hub allows 10 anonymous pulls per hour per address, `
        + 'and every task of the VPC leaves through the same NAT addresses, so a deployment of a few tasks fails (CannotPullContainerError: toomanyrequests). '
        + 'Copy it into Amazon ECR (an ECR pull-through cache rule for Docker Hub, or ecs.ContainerImage.fromEcrRepository), or pull with credentials (ecs.ContainerImage.fromRegistry(name, { credentials }))');
    }
  }

  /** Containers added to the task definition outside the library (`taskDefinition.addContainer()`). */
  private foreignContainers(): ecs.ContainerDefinition[] {
    // By identity: a container added directly under a name the library uses is still foreign.
    const own = new Set<ecs.ContainerDefinition>([this.container, ...this.sidecars.map((c) => c.container)]);
    return this.taskDefinition.node.children
      .filter((c): c is ecs.ContainerDefinition => c instanceof ecs.ContainerDefinition && !own.has(c));
  }

  /**
   * AwsSolutions-ECS2 flags a task definition with any plain environment variable. The library's
   * own (endpoints of the cache and the backends, the tracing settings) are not secret; the
   * user's `environment`, or a container of the user's with variables, may be, so with either the
   * finding stays for the user to judge.
   */
  private acknowledgeEnvironment(): void {
    // Judged from what the containers hold at synth: a variable added to the app or a user's
    // sidecar after the fact (`container.addEnvironment()`) is the user's too.
    const hasEnvironment = (c: ecs.ContainerDefinition) => {
      const rendered = c.renderContainerDefinition();
      return (rendered.environment as unknown[] | undefined)?.length || rendered.environmentFiles;
    };
    const appNames = ((this.container.renderContainerDefinition().environment ?? []) as Array<{ name: string }>).map((v) => v.name);
    if (!this.libraryEnvironment || appNames.some((n) => !this.libraryEnvironmentNames.has(n))) return;
    if (this.sidecars.some((c) => c.user && hasEnvironment(c.container))) return;
    if (this.foreignContainers().some((c) => hasEnvironment(c))) return;
    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason: 'The only plain environment variables are the library\'s: endpoints of the cache and the backends, topic ARNs and queue URLs, the tracing settings, its sidecars\' configuration; none is secret (secrets reach the app as ECS secrets).',
    });
  }
}

/** The tasks' alarms (CPU, memory, tasks missing) and their dashboard row. */
export function taskPart(service: ecs.FargateService, clusterName: string, ecsServiceName: string): ServicePart {
  const insights = (metricName: string, period: Duration) => new cloudwatch.Metric({
    namespace: 'ECS/ContainerInsights',
    metricName,
    statistic: 'Average',
    period,
    dimensionsMap: { ClusterName: clusterName, ServiceName: ecsServiceName },
  });
  const graph = (title: string, left: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left, width: 8, height: 6 });
  const minute = Duration.minutes(1);
  return {
    alarms: [
      { key: 'tasks.cpuUtilization', metric: (period) => service.metricCpuUtilization({ period }) },
      { key: 'tasks.memoryUtilization', metric: (period) => service.metricMemoryUtilization({ period }) },
      {
        key: 'tasks.runningTasks',
        metric: (period) => new cloudwatch.MathExpression({
          expression: 'desired - running',
          usingMetrics: { desired: insights('DesiredTaskCount', period), running: insights('RunningTaskCount', period) },
          period,
          label: 'Tasks missing',
        }),
      },
    ],
    dashboardRows: () => [[
      graph('Tasks: CPU (%)', [service.metricCpuUtilization({ period: minute })]),
      graph('Tasks: memory (%)', [service.metricMemoryUtilization({ period: minute })]),
      graph('Tasks: running and desired', [insights('RunningTaskCount', minute), insights('DesiredTaskCount', minute)]),
    ]],
  };
}
