import { posix } from 'path';
import { Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { FargateSpotOptions, MicroserviceProps } from './microservice-props';
import { describeMemoryFor, FARGATE_TASK_SIZES } from '../private/fargate';
import { kebab, volumeName } from '../private/names';
import { ServiceProtocol } from '../mesh/resilience';
import { validateResilience } from '../private/resilience-validation';
import { fmt, PropErrors } from '../private/validation';

/** Defaults of {@link MicroserviceProps}. */
const DEFAULTS = {
  containerPort: 8080,
  cpu: 512,
  memoryLimitMiB: 1024,
  writablePaths: ['/tmp'],
  minCapacity: 2,
  maxCapacity: 10,
  targetCpuUtilizationPercent: 70,
  targetMemoryUtilizationPercent: 80,
} as const;

/** Directories an empty writable volume must not be mounted over: the image's own would disappear. */
const SYSTEM_DIRECTORIES = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib64', '/proc', '/sbin', '/sys', '/usr'];
/**
 * Trees with nothing an application writes, only what it runs on (binaries, libraries, the CA
 * certificates): nothing under them either. Elsewhere under /etc and /usr an app may have a
 * directory of its own to write (`/etc/nginx/conf.d`, `/usr/share/nginx/html`).
 */
const SYSTEM_TREES = ['/bin', '/boot', '/dev', '/lib', '/lib64', '/proc', '/sbin', '/sys', '/usr/bin', '/usr/lib', '/usr/lib64', '/usr/libexec', '/usr/sbin', '/etc/pki', '/etc/ssl'];

/** Most tasks one ECS service may run (service quota "Tasks per service"). */
const MAX_TASKS_PER_SERVICE = 5000;
/** A DNS label short enough to take Service Connect's "-sc" suffix within its 64 characters. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,58}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Every setting of a service with its default applied. */
export interface ResolvedSettings {
  readonly path: string;
  readonly containerPort: number;
  readonly readonlyRootFilesystem: boolean;
  readonly logRetention?: logs.RetentionDays;
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
  readonly protocol: ServiceProtocol;
}

/**
 * Resolves every default once and reports every bad input of the service's own props at once.
 * `maxTasksResolved`: the most tasks of a callee its callers' proxies reach, when the mesh has such
 * a limit (the default maxCapacity stays within it).
 */
export function resolveSettings(path: string, id: string, props: MicroserviceProps, maxTasksResolved?: number,
  validateFeatures?: (errors: PropErrors, s: ResolvedSettings) => void): ResolvedSettings {
  const enableExecuteCommand = props.enableExecuteCommand ?? false;
  const minCapacity = props.autoScaling?.minCapacity ?? DEFAULTS.minCapacity;
  const s: ResolvedSettings = {
    path,
    containerPort: props.containerPort ?? DEFAULTS.containerPort,
    cpu: props.cpu ?? DEFAULTS.cpu,
    memoryLimitMiB: props.memoryLimitMiB ?? DEFAULTS.memoryLimitMiB,
    cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64,
    enableExecuteCommand,
    readonlyRootFilesystem: props.readonlyRootFilesystem ?? !enableExecuteCommand,
    logRetention: props.logRetention,
    writablePaths: props.writablePaths ?? [...DEFAULTS.writablePaths],
    minCapacity,
    maxCapacity: props.autoScaling?.maxCapacity ?? Math.max(Math.min(DEFAULTS.maxCapacity, maxTasksResolved ?? DEFAULTS.maxCapacity), minCapacity),
    targetCpu: props.autoScaling?.targetCpuUtilizationPercent ?? DEFAULTS.targetCpuUtilizationPercent,
    targetMemory: props.autoScaling?.targetMemoryUtilizationPercent ?? DEFAULTS.targetMemoryUtilizationPercent,
    discoveryName: props.discoveryName ?? kebab(id),
    protocol: props.protocol ?? (props.retryPolicy?.protocol === 'grpc' ? ServiceProtocol.GRPC : ServiceProtocol.HTTP),
  };
  validate(path, props, s, validateFeatures);
  return s;
}

function validate(path: string, props: MicroserviceProps, s: ResolvedSettings, validateFeatures?: (errors: PropErrors, s: ResolvedSettings) => void): void {
  const errors = new PropErrors(`Microservice '${path}'`);
  errors.exclusive('api', props.api, 'restApi', props.restApi, 'a service has one front door: an HTTP API or a REST API');
  errors.oneOf('protocol', props.protocol, Object.values(ServiceProtocol));
  if (props.retryPolicy?.protocol === 'grpc' && props.protocol !== undefined && props.protocol !== ServiceProtocol.GRPC) {
    errors.add(`protocol must be ServiceProtocol.GRPC with a RetryPolicy.grpc() (its retry events are gRPC status codes), got ${fmt(props.protocol)}`);
  }
  errors.literal('containerPort', props.containerPort, 'a port number');
  errors.literal('discoveryName', props.discoveryName, 'a DNS label');
  errors.integer('containerPort', s.containerPort, 1, 65535);
  errors.text('discoveryName', s.discoveryName, DNS_LABEL, 'a lower-case DNS label (a-z, 0-9 and "-", 1-60 characters)');

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

  errors.text('user', props.user, /^[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)?$/, 'a user name or uid, optionally with a group ("101", "app", "1000:1000")');
  if (props.user !== undefined && !Token.isUnresolved(props.user) && /^(0|root)(:.*)?$/.test(props.user)) {
    errors.add(`user must name an unprivileged user (it exists so that no container runs as root; leave it out to run as the image's own user), got ${fmt(props.user)}`);
  }
  errors.retention('logRetention', props.logRetention);
  errors.retention('api.accessLogRetention', props.api?.accessLogRetention);
  errors.retention('restApi.accessLogRetention', props.restApi?.accessLogRetention);
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
    const prop = `writablePaths[${i}]`;
    errors.literal(prop, p, 'a path');
    if (Token.isUnresolved(p)) return;
    errors.text(prop, p, /^\/[A-Za-z0-9._\-/]*[A-Za-z0-9._-]$/, 'an absolute path such as "/tmp" (no trailing "/")');
    // A scratch volume is mounted where the path resolves: "/tmp/.." is "/", "/tmp/../etc" is "/etc".
    const normal = posix.normalize(p);
    if (normal !== p) errors.add(`${prop} must be a normalized path (no ".", ".." or "//" segments), got ${fmt(p)}, which is ${fmt(normal)}`);
    if (normal === '/') errors.add(`${prop} must not be the root "/", got ${fmt(p)}`);
    else if (SYSTEM_DIRECTORIES.includes(normal) || SYSTEM_TREES.some((d) => normal === d || normal.startsWith(`${d}/`))) {
      errors.add(`${prop} must not hide a system directory (${SYSTEM_DIRECTORIES.join(', ')}, or anything under ${SYSTEM_TREES.join(', ')}) behind an empty volume, got ${fmt(p)}`);
    }
    const name = volumeName(p);
    if (seen.has(name)) errors.add(`writablePaths must not repeat a path, got ${fmt(p)} twice`);
    seen.add(name);
  });

  // 0 only for a worker that scales on a queue's backlog (checked at synth, once its subscriptions are known).
  errors.integer('autoScaling.minCapacity', s.minCapacity, 0, MAX_TASKS_PER_SERVICE);
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
  validateResilience(errors, props.outlierDetection, props.connectionPool);
  errors.duration('requestTimeout', props.requestTimeout, 1, 3_600_000, 'between 1 ms and 1 hour');
  errors.duration('idleTimeout', props.idleTimeout, 1000, 3_600_000, 'between 1000 ms and 1 hour');
  // The mesh reads the API's timeout before the API checks its range: refuse NaN and Infinity here.
  errors.duration('api.timeout', props.api?.timeout, 0, Number.MAX_SAFE_INTEGER, 'a finite duration');
  errors.duration('restApi.timeout', props.restApi?.timeout, 0, Number.MAX_SAFE_INTEGER, 'a finite duration');
  const d = props.deployment;
  if (d) {
    const strategy = d.strategy ?? ecs.DeploymentStrategy.ROLLING;
    if (d.canary && strategy !== ecs.DeploymentStrategy.CANARY) errors.add(`deployment.canary requires deployment.strategy CANARY, got ${strategy}`);
    if (d.linear && strategy !== ecs.DeploymentStrategy.LINEAR) errors.add(`deployment.linear requires deployment.strategy LINEAR, got ${strategy}`);
    if (d.bakeTime && strategy === ecs.DeploymentStrategy.ROLLING) errors.add('deployment.bakeTime requires deployment.strategy BLUE_GREEN, CANARY or LINEAR, got ROLLING');
    // ECS's BakeTimeInMinutes and step bake times: 0 to 1440 minutes.
    errors.minutes('deployment.bakeTime', d.bakeTime, 0, 1440);
    errors.minutes('deployment.canary.stepBakeTime', d.canary?.stepBakeTime, 0, 1440);
    errors.minutes('deployment.linear.stepBakeTime', d.linear?.stepBakeTime, 0, 1440);
    errors.range('deployment.canary.stepPercent', d.canary?.stepPercent, 0.1, 100);
    errors.range('deployment.linear.stepPercent', d.linear?.stepPercent, 3, 100);
  }
  validateFeatures?.(errors, s);
  errors.throwIfAny();
}


/** Tasks that stay on regular Fargate when a Spot share is set and onDemandBase is not. */
const SPOT_ON_DEMAND_BASE = 1;

export function capacityProviderStrategies(spot: FargateSpotOptions | undefined): ecs.CapacityProviderStrategy[] {
  if (!spot) return [{ capacityProvider: 'FARGATE', weight: 1 }];
  const base = spot.onDemandBase ?? SPOT_ON_DEMAND_BASE;
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
