import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { FrontDoorFeature } from './front-door';
import type { MicroserviceProps } from './microservice-props';
import { ContractFeature } from './service-contract';
import { taskPart } from './service-task';
import type { MicroserviceCache } from '../cache/microservice-cache';
import type { ServiceCache } from '../cache/service-cache';
import { FaultInjection } from '../fault-injection/fault-injection';
import { ServiceLogging } from '../logging/service-logging';
import type { ServicePart } from '../private/binding';
import type { MeshDescription, MeshService, ServiceFeature, ServiceWithNetwork } from '../private/feature';
import { RetryPolicy } from '../mesh/retry-policy';
import { PropErrors } from '../private/validation';
import { Tracing } from '../tracing/tracing';

/**
 * The features of one service, created from its props: the registration of every part. Each
 * phase runs over `all` in this order, so it is also the order of the dashboard's rows (request
 * order: front door, tasks, cache, mesh) and of the variables the parts give the app.
 */
export function serviceFeatures(props: MicroserviceProps, path: string) {
  checkStrategies(props, path);
  const frontDoor = new FrontDoorFeature(props);
  const cache = new CacheFeature(props.cache);
  const description: MeshDescription = {
    retryPolicy: props.retryPolicy ?? RetryPolicy.none(), requestTimeout: props.requestTimeout, idleTimeout: props.idleTimeout,
    apiTimeout: (props.api ?? props.restApi)?.timeout, outlierDetection: props.outlierDetection, connectionPool: props.connectionPool,
  };
  const mesh = new MeshFeature(description);
  const contract = new ContractFeature(description, () => mesh.service);
  const tracing = (props.tracing ?? Tracing.none())._feature();
  const faultInjection = (props.faultInjection ?? FaultInjection.disabled())._feature({
    enableExecuteCommand: props.enableExecuteCommand ?? false, alarms: props.alarms?.enabled ?? true,
  });
  const logging = (props.logging ?? ServiceLogging.awsLogs())._feature();
  const scaling = new ScalingFeature();
  const all: ServiceFeature[] = [frontDoor, new TasksFeature(), cache, mesh, tracing, faultInjection, logging, scaling, contract];
  return { all, frontDoor, cache, mesh, tracing, faultInjection, logging, scaling, contract };
}

/** The tasks' alarms and dashboard row (the task itself is the composer's). */
class TasksFeature implements ServiceFeature {
  public parts(unit: ServiceWithNetwork): ServicePart[] {
    return [taskPart(unit.service, unit.clusterName, unit.name)];
  }
}

/** The service's cache, with `cache`. */
class CacheFeature implements ServiceFeature {
  public cache?: MicroserviceCache;

  constructor(private readonly strategy?: ServiceCache) {}

  public useService(unit: ServiceWithNetwork): void {
    this.cache = this.strategy?._bind(unit.scope, 'Cache', unit);
  }

  public parts(): ServicePart[] {
    if (!this.cache) return [];
    const part = this.cache._part;
    return [{ alarms: part.alarms, dashboardRows: part.dashboardRows && (() => part.dashboardRows!()), signals: part.signals, cacheFaultTarget: this.cache._faultTarget }];
  }
}

/** The service's place in the platform's mesh. */
class MeshFeature implements ServiceFeature {
  public service!: MeshService;

  constructor(private readonly description: MeshDescription) {}

  public useService(unit: ServiceWithNetwork): void {
    this.service = unit.platform.mesh.bindService(new Construct(unit.scope, 'Mesh'), unit, this.description);
    unit.platform.quotas.count('cloudMapInstances', `the namespace ${unit.namespace.namespaceName}`, unit.settings.maxCapacity * unit.platform.mesh.registrationsPerTask);
  }

  public parts(): ServicePart[] {
    return [this.service];
  }
}

/** Task-count autoscaling on CPU and memory (and, with subscriptions, on their backlog). */
class ScalingFeature implements ServiceFeature {
  public scaling!: ecs.ScalableTaskCount;

  public useService(unit: ServiceWithNetwork): void {
    const scaling = unit.service.autoScaleTaskCount({ minCapacity: unit.settings.minCapacity, maxCapacity: unit.settings.maxCapacity });
    // A worker that may scale to zero: utilization never asks for fewer than one task (a target
    // tracking policy rounds up), and all policies must agree to scale in, so only the backlog does.
    const disableScaleIn = unit.settings.minCapacity === 0 ? true : undefined;
    scaling.scaleOnCpuUtilization('CpuScaling', { targetUtilizationPercent: unit.settings.targetCpu, disableScaleIn });
    scaling.scaleOnMemoryUtilization('MemoryScaling', { targetUtilizationPercent: unit.settings.targetMemory, disableScaleIn });
    this.scaling = scaling;
  }
}

/**
 * Strategy props given plain values (JavaScript, or an app written for an earlier version:
 * `tracing: true`) fail here with their replacement, not with a TypeError inside a feature.
 */
function checkStrategies(props: MicroserviceProps, path: string): void {
  const errors = new PropErrors(`Microservice '${path}'`);
  const loose = props as unknown as { [prop: string]: unknown };
  const strategies: Array<[string, string, string]> = [
    ['tracing', '_feature', 'Tracing.openTelemetry() or Tracing.none() (tracing: true is now Tracing.openTelemetry())'],
    ['logging', '_feature', 'ServiceLogging.awsLogs(), ServiceLogging.fireLens({ output }) or ServiceLogging.logDriver(driver)'],
    ['faultInjection', '_feature', 'FaultInjection.enabled() or FaultInjection.disabled()'],
    ['cache', '_bind', 'ServiceCache.valkey(), ServiceCache.serverless() or ServiceCache.fromAttributes()'],
  ];
  for (const [prop, method, allowed] of strategies) {
    const value = loose[prop] as { [m: string]: unknown } | undefined;
    if (value !== undefined && typeof value?.[method] !== 'function') errors.add(`${prop} must be ${allowed}, got ${JSON.stringify(value)}`);
  }
  if (loose.tracingCollectorImage !== undefined) {
    errors.add(`tracingCollectorImage is now Tracing.openTelemetry({ collectorImage }), got tracingCollectorImage ${JSON.stringify(loose.tracingCollectorImage)}`);
  }
  errors.throwIfAny();
}
