import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** The experiments `FaultInjection.enabled()` can write for a service. */
export enum FaultExperiment {
  /** Stop a share of the tasks, then watch the service for `duration` (`aws:ecs:stop-task`). */
  STOP_TASKS = 'STOP_TASKS',
  /** Load the tasks' CPU (`aws:ecs:task-cpu-stress`). */
  CPU_STRESS = 'CPU_STRESS',
  /** Per `connectTo` dependency: make it unreachable from the tasks. */
  DEPENDENCY_UNREACHABLE = 'DEPENDENCY_UNREACHABLE',
  /** Per `connectTo` dependency: add latency to every packet to it (`aws:ecs:task-network-latency`). */
  DEPENDENCY_LATENCY = 'DEPENDENCY_LATENCY',
  /** Make the service's cache unreachable from the tasks. */
  CACHE_UNREACHABLE = 'CACHE_UNREACHABLE',
  /**
   * Cut the power of one Availability Zone of a Multi-AZ node-based cache
   * (`aws:elasticache:replicationgroup-interrupt-az-power`).
   */
  CACHE_AZ_POWER = 'CACHE_AZ_POWER',
}

/** Options of {@link FaultInjection.enabled}: which experiments, and the faults they inject. */
export interface FaultInjectionOptions {
  /**
   * The experiments to write. Those that do not apply to the service (a dependency experiment
   * without `connectTo`, a cache experiment without a cache) are not written.
   *
   * @default - every experiment
   */
  readonly experiments?: FaultExperiment[];
  /**
   * How long each fault lasts (CPU stress, network faults, the cache's AZ power) and how long the
   * service is watched after its tasks are stopped: 1 minute to 12 hours (FIS's limits), in
   * whole seconds.
   *
   * @default Duration.minutes(5)
   */
  readonly duration?: Duration;
  /**
   * Share of the service's running tasks every task experiment hits, 1 to 100 percent. FIS rounds
   * down and fails an experiment that selects no task.
   *
   * @default 50
   */
  readonly taskPercent?: number;
  /**
   * CPU load of the stress experiment, 1 to 100 percent of the task's CPU.
   *
   * @default 100
   */
  readonly cpuPercent?: number;
  /**
   * Latency added to every packet to a dependency, 1 ms to 1 minute.
   *
   * @default Duration.millis(200)
   */
  readonly latency?: Duration;
  /**
   * Variation of the latency, 0 to `latency`.
   *
   * @default Duration.millis(10)
   */
  readonly jitter?: Duration;
  /**
   * Alarms that stop every experiment besides the service's health alarm: up to 5 stop
   * conditions in all (FIS's quota), 5 without the health alarm (`alarms: { enabled: false }`).
   *
   * @default - the health alarm only
   */
  readonly stopAlarms?: cloudwatch.IAlarm[];
  /**
   * The SSM agent image of the sidecar FIS's task actions need (every experiment but
   * `STOP_TASKS`): FIS's non-root agent image or a copy of it, which the task runs as its user
   * (uid 61555) with bash, curl, jq, ps and the AWS CLI in it; nothing is installed at start. FIS
   * documents its `latest` tag only: pin a digest for repeatable tasks.
   *
   * @default 'public.ecr.aws/aws-fis/aws-fis-ssm-agent-non-root:latest' (as FIS documents it)
   */
  readonly agentImage?: string;
  /**
   * The Availability Zone (name or ID) whose power the cache experiment cuts: one with a node of
   * the cache.
   *
   * @default - the first Availability Zone of the platform's VPC
   */
  readonly cacheAvailabilityZone?: string;
}
