import { Aspects, CfnResource, IAspect, Token, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IConstruct } from 'constructs';
import type { AppContainerContribution, ServiceFeature, ServiceUnit, ServiceWithTask } from '../private/feature';
import { fmt, PropErrors } from '../private/validation';

/** Options of {@link ServiceLogging.fireLens}. */
export interface FireLensLoggingOptions {
  /**
   * The Fluent Bit output plugin and its parameters: the app container's `awsfirelens` log driver
   * options, from which ECS writes the router's `[OUTPUT]` section. `Name` names the plugin
   * (`cloudwatch_logs`, `kinesis_firehose`, `kinesis_streams`, `s3`, `opensearch`, `http`, ...);
   * the other keys are its parameters (`{ Name: 'kinesis_firehose', region: 'eu-west-1',
   * delivery_stream: 'app-logs' }`).
   *
   * The plugin runs in the router with the task role's credentials: grant the destination's
   * permissions to the service (`deliveryStream.grantPutRecords(service)`,
   * `logGroup.grantWrite(service)`, `bucket.grantPut(service)`).
   */
  readonly output: { [key: string]: string };
  /**
   * Output parameters whose values are secret (an API key, a password), from Secrets Manager or
   * SSM Parameter Store: the log driver's `secretOptions`, which ECS resolves when the task
   * starts. aws-cdk-lib grants their read to the execution role, never to the task role.
   *
   * @default - none
   */
  readonly secretOutput?: { [key: string]: ecs.Secret };
  /**
   * Whether ECS adds the task's metadata to every record (`ecs_cluster`, `ecs_task_arn`,
   * `ecs_task_definition`, `container_name`, `container_id`): FireLens's
   * `enable-ecs-log-metadata`.
   *
   * @default true
   */
  readonly enableEcsLogMetadata?: boolean;
  /**
   * An absolute path, inside the router's image, to a Fluent Bit configuration file that the
   * generated configuration includes (filters, parsers, more outputs): FireLens's
   * `config-file-type` `file`. Tasks on Fargate read no configuration file from S3.
   *
   * @default - none: the `output` alone
   */
  readonly configFile?: string;
  /**
   * The log router's image.
   *
   * @default 'public.ecr.aws/aws-observability/aws-for-fluent-bit:3.4.15'
   */
  readonly routerImage?: string;
  /**
   * CPU units the router reserves, counted against the task size.
   *
   * @default 64
   */
  readonly routerCpu?: number;
  /**
   * Memory the router reserves, MiB, counted against the task size (the app container's hard
   * limit is what the sidecars leave).
   *
   * @default 64
   */
  readonly routerMemoryReservationMiB?: number;
  /**
   * The router's hard memory limit, MiB: ECS stops it beyond, which stops the task while the
   * router is essential. Fluent Bit buffers in memory while a destination is slow or down.
   *
   * @default - 256, or routerMemoryReservationMiB when that is more
   */
  readonly routerMemoryLimitMiB?: number;
  /**
   * Whether the task stops when the router stops. An essential router means no task runs
   * without its logs being shipped; a non-essential one lets the app run on, its logs lost.
   *
   * @default true
   */
  readonly routerEssential?: boolean;
}

/**
 * AWS for Fluent Bit, pinned (its README: "You should lock your deployments to a specific version
 * tag"; the tags are immutable). 3.x is the line on Amazon Linux 2023: the 2.x line's base, Amazon
 * Linux 2, reached its end of life on 2026-06-30 (aws/aws-for-fluent-bit#1117). 3.4.15: Fluent Bit
 * v5.0.9, released 2026-09-04 (aws/aws-for-fluent-bit releases). From Amazon ECR Public, not
 * Docker Hub (no anonymous pull limit of 10 an hour).
 */
const DEFAULT_ROUTER_IMAGE = 'public.ecr.aws/aws-observability/aws-for-fluent-bit:3.4.15';
const ROUTER_CONTAINER = 'log-router';
/** FireLens's forward input over TCP (ECS guide, "Send Amazon ECS logs to an AWS service or AWS Partner"). */
const FORWARD_PORT = 24224;
/** The router's writable scratch volume, mounted at /tmp. */
const ROUTER_SCRATCH_VOLUME = 'log-router-tmp';
const DEFAULT_ROUTER_CPU = 64;
const DEFAULT_ROUTER_MEMORY_RESERVATION_MIB = 64;
const DEFAULT_ROUTER_MEMORY_LIMIT_MIB = 256;
/** What cfn-guard's CT.ECS.PR.3 takes for root (ct-ecs-pr-3.guard's ROOT_USER_PATTERNS). */
const ROOT_USER = /^(0|root)(:.*)?$/;

/**
 * Where the app container's logs go: `ServiceLogging.awsLogs()` (the default: CloudWatch Logs,
 * the service's log group), `ServiceLogging.fireLens({ output })` (a Fluent Bit log router
 * sidecar that ships them to any Fluent Bit output) or `ServiceLogging.logDriver(driver)` (any
 * aws-cdk-lib log driver: splunk, syslog, ...).
 */
export abstract class ServiceLogging {
  /**
   * The awslogs driver to the service's log group (stream prefix `app`), in non-blocking mode with
   * a 25 MiB buffer: a full buffer drops log lines rather than stalling the app. The default.
   */
  public static awsLogs(): ServiceLogging {
    return new AwsLogsLogging();
  }

  /**
   * FireLens: the app container logs through the `awsfirelens` driver to a Fluent Bit log router
   * sidecar (AWS for Fluent Bit), which sends the records to `output`. The router is counted
   * against the task size, starts before the app, is essential, logs itself to the service's log
   * group, and has a read-only root filesystem with a writable `/tmp`. It runs as root: FireLens
   * requires it.
   */
  public static fireLens(options: FireLensLoggingOptions): ServiceLogging {
    return new FireLensLogging(options);
  }

  /**
   * Any aws-cdk-lib log driver for the app container (`ecs.LogDrivers.splunk(...)`,
   * `ecs.LogDrivers.syslog(...)`, an awslogs driver of your own). Not `awsfirelens`, which needs
   * the router `ServiceLogging.fireLens()` adds.
   */
  public static logDriver(driver: ecs.LogDriver): ServiceLogging {
    return new LogDriverLogging(driver);
  }

  /**
   * The service's logging feature: the app container's log driver and, with FireLens, its router.
   *
   * @internal
   */
  public abstract _feature(): LoggingFeature;
}

/** Logging as a feature of one service. */
export interface LoggingFeature extends ServiceFeature {
  /** The FireLens log router sidecar, once added. */
  readonly router?: ecs.ContainerDefinition;
}

class AwsLogsLogging extends ServiceLogging {
  public _feature(): LoggingFeature {
    // The task's own default (lib/service/service-task.ts): the template stays as it always was.
    return {};
  }
}

class LogDriverLogging extends ServiceLogging {
  constructor(private readonly driver: ecs.LogDriver) {
    super();
  }

  public _feature(): LoggingFeature {
    return new LogDriverFeature(this.driver);
  }
}

class LogDriverFeature implements LoggingFeature {
  constructor(private readonly driver: ecs.LogDriver) {}

  public validate(errors: PropErrors): void {
    if (!(this.driver instanceof ecs.LogDriver)) {
      errors.add(`logging must be given an ecs.LogDriver (ServiceLogging.logDriver(ecs.LogDrivers.splunk({ ... }))), got ${fmt(this.driver)}`);
    } else if (this.driver instanceof ecs.FireLensLogDriver) {
      errors.add(`logging must be a log driver other than awsfirelens with ServiceLogging.logDriver() (FireLens needs a log router in the task: ServiceLogging.fireLens({ output }) adds it), got ecs.LogDrivers.firelens()`);
    }
  }

  public appContainer(): AppContainerContribution {
    return { logging: this.driver };
  }

  public useTask(unit: ServiceWithTask): void {
    // A driver of another class may still render awsfirelens. Without a router, aws-cdk-lib would
    // add one of its own when rendering the task (`latest` from SSM, outside the task's budget).
    unit.scope.node.addValidation({
      validate: () => {
        if (unit.task.container.logDriverConfig?.logDriver !== 'awsfirelens') return [];
        if (unit.task.taskDefinition.node.children.some((c) => c instanceof ecs.FirelensLogRouter)) return [];
        return [`logging of Microservice '${unit.path}' must not send the app's logs to awsfirelens without a log router in the task `
          + '(ServiceLogging.fireLens({ output }) adds one, counted against the task size), got ServiceLogging.logDriver() with a driver that renders awsfirelens'];
      },
    });
  }
}

class FireLensLogging extends ServiceLogging {
  constructor(private readonly options: FireLensLoggingOptions) {
    super();
  }

  public _feature(): LoggingFeature {
    return new FireLensFeature(this.options);
  }
}

/**
 * The FireLens router goes in with the task's other sidecars (useTask); the app container's
 * driver is set when it is created (appContainer).
 */
class FireLensFeature implements LoggingFeature {
  public router?: ecs.ContainerDefinition;

  constructor(private readonly o: FireLensLoggingOptions) {}

  public validate(errors: PropErrors, unit: ServiceUnit): void {
    const output = this.o.output;
    if (output === undefined || output === null || typeof output !== 'object') {
      errors.add(`logging.output must be the Fluent Bit output's options with its Name ({ Name: 'cloudwatch_logs', ... }), got ${fmt(output)}`);
    } else if (output.Name === undefined) {
      errors.add(`logging.output must have a Name: the Fluent Bit output plugin (cloudwatch_logs, kinesis_firehose, kinesis_streams, s3, opensearch, http, ...), got ${fmt(output)}`);
    } else {
      errors.text('logging.output.Name', output.Name);
      for (const key of Object.keys(this.o.secretOutput ?? {}).filter((k) => k in output)) {
        errors.add(`logging.output and logging.secretOutput must not both set "${key}": give it once, a secret in secretOutput, got both`);
      }
    }
    errors.text('logging.configFile', this.o.configFile, /^\//, 'an absolute path inside the router\'s image (tasks on Fargate read only config-file-type file, not S3)');
    errors.text('logging.routerImage', this.o.routerImage);
    const { cpu, memoryLimitMiB } = unit.settings;
    errors.integer('logging.routerCpu', this.o.routerCpu, 0, cpu);
    errors.integer('logging.routerMemoryReservationMiB', this.o.routerMemoryReservationMiB, 6, memoryLimitMiB);
    errors.integer('logging.routerMemoryLimitMiB', this.o.routerMemoryLimitMiB,
      this.o.routerMemoryReservationMiB ?? DEFAULT_ROUTER_MEMORY_RESERVATION_MIB, memoryLimitMiB);
  }

  public appContainer(): AppContainerContribution {
    return { logging: ecs.LogDrivers.firelens({ options: this.o.output, secretOptions: this.o.secretOutput }) };
  }

  public useTask(unit: ServiceWithTask): void {
    const task = unit.task;
    this.router = task.addSidecar({
      id: 'LogRouter',
      containerName: ROUTER_CONTAINER,
      image: ecs.ContainerImage.fromRegistry(this.o.routerImage ?? DEFAULT_ROUTER_IMAGE),
      // Essential, as AWS's examples have it (ECS guide, "Configuring Amazon ECS logs for high
      // throughput": the router with "essential": true and "user": "0"); ECS once required it and
      // made it a recommendation (aws/containers-roadmap#966). A task whose router died would run
      // on with its logs lost.
      essential: this.o.routerEssential ?? true,
      // FireLens requires root: the router creates the unix socket the container runtime (root)
      // writes the app's logs to, in a root-owned host directory, and ECS refuses a FireLens
      // container with another user ("If 'user' field is specified on firelens container, then
      // 'UID' has to be '0'": aws-for-fluent-bit troubleshooting/debugging.md, "Amazon ECS
      // FireLens: root is required"; aws/containers-roadmap#2122, open). Named, so the template
      // says so; the Control Tower finding is acknowledged below when it is the router's alone.
      user: '0',
      cpu: this.o.routerCpu ?? DEFAULT_ROUTER_CPU,
      memoryReservationMiB: this.o.routerMemoryReservationMiB ?? DEFAULT_ROUTER_MEMORY_RESERVATION_MIB,
      memoryLimitMiB: this.o.routerMemoryLimitMiB ?? Math.max(DEFAULT_ROUTER_MEMORY_LIMIT_MIB, this.o.routerMemoryReservationMiB ?? 0),
      // The generated configuration and the socket directory (/var/run) are mounts; Fluent Bit writes
      // nothing else unless an output buffers on disk, which /tmp below takes.
      readonlyRootFilesystem: true,
      // ECS would start the app after the router anyway (ECS guide: a START dependency by default);
      // said here, it is the same dependency every sidecar gets.
      appStartsAfter: ecs.ContainerDependencyCondition.START,
      listenPorts: [FORWARD_PORT],
      firelensConfig: {
        type: ecs.FirelensLogRouterType.FLUENTBIT,
        options: {
          enableECSLogMetadata: this.o.enableEcsLogMetadata ?? true,
          ...(this.o.configFile !== undefined ? { configFileType: ecs.FirelensConfigFileType.FILE, configFileValue: this.o.configFile } : {}),
        },
      },
    });
    // A writable /tmp on a task-local volume: the s3 output buffers in /tmp/fluent-bit/s3 by
    // default (fluent-bit plugins/out_s3, store_dir), and a configFile can put storage.path there.
    task.taskDefinition.addVolume({ name: ROUTER_SCRATCH_VOLUME });
    this.router.addMountPoints({ containerPath: '/tmp', sourceVolume: ROUTER_SCRATCH_VOLUME, readOnly: false });
    Aspects.of(task.taskDefinition).add(new RootRouterFinding(task.taskDefinition));
  }
}

/**
 * Control Tower's CT.ECS.PR.3 (every container names a user that is not root) judges the task
 * definition as a whole. When every other container names a non-root user, the finding is the
 * router's alone, which FireLens requires to run as root, and it is acknowledged; when another
 * container runs as root or names no user (the app without `user`), the finding stays for its
 * owner. Decided once every container is added (aspects run before validation).
 */
class RootRouterFinding implements IAspect {
  private done = false;

  constructor(private readonly taskDefinition: ecs.TaskDefinition) {}

  public visit(node: IConstruct): void {
    if (this.done || node !== this.taskDefinition) return;
    this.done = true;
    const others = this.taskDefinition.node.children
      .filter((c): c is ecs.ContainerDefinition => c instanceof ecs.ContainerDefinition && !(c instanceof ecs.FirelensLogRouter));
    const nonRoot = (user: unknown) => typeof user === 'string' && (Token.isUnresolved(user) || !ROOT_USER.test(user));
    if (!others.every((c) => nonRoot(c.renderContainerDefinition().user))) return;
    Validations.of(this.taskDefinition.node.defaultChild as CfnResource).acknowledge({
      id: 'cdk-validator-cfnguard::ecs_task_definition_nonroot_user_check',
      reason: 'Only the FireLens log router runs as root, which FireLens requires (ECS refuses another user on it: aws-for-fluent-bit\'s debugging guide, '
        + '"Amazon ECS FireLens: root is required"; aws/containers-roadmap#2122); every other container names a non-root user.',
    });
  }
}
