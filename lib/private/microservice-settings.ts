import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { validateResilience } from '../mesh/resilience';
import { describeMemoryFor, FARGATE_TASK_SIZES } from './fargate';
import { fmt, PropErrors } from './validation';
import type { FargateSpotOptions, MicroserviceProps } from '../service/microservice-props';

/** Most tasks one ECS service may run (service quota "Tasks per service"). */
const MAX_TASKS_PER_SERVICE = 5000;
/** A DNS label short enough to take Service Connect's "-sc" suffix within its 64 characters. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,58}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ResolvedSettings {
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

export function validate(path: string, props: MicroserviceProps, s: ResolvedSettings): void {
  const errors = new PropErrors(`Microservice '${path}'`);
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
  validateResilience(errors, props.outlierDetection, props.connectionPool);
  durationMs(errors, 'requestTimeout', props.requestTimeout, 1, 3_600_000);
  durationMs(errors, 'idleTimeout', props.idleTimeout, 1000, 3_600_000);
  errors.text('healthCheckPath', props.healthCheckPath, /^\/\S*$/, 'an absolute path such as "/health"');
  const d = props.deployment;
  if (d) {
    const strategy = d.strategy ?? ecs.DeploymentStrategy.ROLLING;
    if (d.canary && strategy !== ecs.DeploymentStrategy.CANARY) errors.add(`deployment.canary requires deployment.strategy CANARY, got ${strategy}`);
    if (d.linear && strategy !== ecs.DeploymentStrategy.LINEAR) errors.add(`deployment.linear requires deployment.strategy LINEAR, got ${strategy}`);
    if (d.bakeTime && strategy === ecs.DeploymentStrategy.ROLLING) errors.add('deployment.bakeTime requires deployment.strategy BLUE_GREEN, CANARY or LINEAR, got ROLLING');
    errors.range('deployment.canary.stepPercent', d.canary?.stepPercent, 0.1, 100);
    errors.range('deployment.linear.stepPercent', d.linear?.stepPercent, 3, 100);
  }
  errors.throwIfAny();
}

function durationMs(errors: PropErrors, prop: string, d: Duration | undefined, min: number, max: number): void {
  if (!d || d.isUnresolved()) return;
  const ms = d.toMilliseconds();
  if (ms < min || ms > max) errors.add(`${prop} must be between ${min} ms and ${max / 3_600_000} hour, got ${ms} ms`);
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

/** 'OrderHistory' → 'order-history'; 'API2Gateway' → 'api2-gateway'. */
export function kebab(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .slice(0, 60)
    .replace(/-+$/, '');
}

/** '/var/cache/nginx' → 'writable-var-cache-nginx' (ECS volume names: letters, digits, '-' and '_'). */
export function volumeName(path: string): string {
  return `writable${path.replace(/[^A-Za-z0-9_-]+/g, '-')}`.replace(/-+$/, '').slice(0, 255);
}
