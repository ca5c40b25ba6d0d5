import type { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type { FaultExperiment } from './fault-injection-options';
import type { CacheFaultTarget, ServiceTask } from '../private/binding';
import type { LogSettings } from '../private/log-groups';

/** What the experiments of a service need of it. */
export interface FaultInjectionContext {
  readonly servicePath: string;
  readonly discoveryName: string;
  readonly task: ServiceTask;
  /** The ECS service: its tasks receive its tags. */
  readonly service: ecs.FargateService;
  readonly clusterName: string;
  readonly ecsServiceName: string;
  readonly minCapacity: number;
  /** The service's health alarm: every experiment's stop condition. */
  readonly healthAlarm?: cloudwatch.IAlarm;
  /** The service's cache, when it has one. */
  readonly cache?: CacheFaultTarget;
  /** The AZ the cache experiment cuts by default. */
  readonly defaultAvailabilityZone: string;
  readonly logs: LogSettings;
}

/** What the options are checked against. */
export interface ServiceForFaultInjection {
  readonly enableExecuteCommand: boolean;
  /** Whether the service has its alarms, hence a health alarm. */
  readonly alarms: boolean;
}

/** The settings a service's experiments run with, checked. */
export interface ResolvedFaultInjection {
  readonly experiments: FaultExperiment[];
  /** Whether the user listed them (else: every experiment, each where it applies). */
  readonly listed: boolean;
  readonly stopAlarms: cloudwatch.IAlarm[];
  readonly duration: Duration;
  readonly taskPercent: number;
  readonly cpuPercent: number;
  readonly latency: Duration;
  readonly jitter: Duration;
  readonly agentImage: string;
  readonly cacheAvailabilityZone?: string;
}
