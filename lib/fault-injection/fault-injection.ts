import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { FaultExperiment, FaultInjectionOptions } from './fault-injection-options';
import type { FaultInjectionContext, ResolvedFaultInjection, ServiceForFaultInjection } from './fault-injection-context';
import { ServiceFaultInjection, taskNeeds } from './service-fault-injection';
import type { ServiceConnection, ServiceFeature, ServiceWithMonitoring, TaskDefinitionContribution } from '../private/feature';
import { millis, PropErrors } from '../private/validation';

/**
 * FIS's non-root SSM agent image, on ECR Public (FIS guide, "Use the AWS FIS aws:ecs:task
 * actions", "Non-root container images"): its dependencies pre-installed, run as uid 61555. The
 * guide names the `latest` tag only and publishes no digest: pin one with `agentImage`.
 */
export const DEFAULT_AGENT_IMAGE = 'public.ecr.aws/aws-fis/aws-fis-ssm-agent-non-root:latest';

/**
 * Game days for a service: AWS FIS experiment templates in the service's stack (stop tasks,
 * stress CPU, black-hole and slow each dependency, cut the power of the cache's AZ), each stopped
 * by the service's health alarm, and what FIS's task actions need in the task. Nothing of it
 * exists unless enabled.
 */
export abstract class FaultInjection {
  /** No experiments and nothing in the task for them (the default). */
  public static disabled(): FaultInjection {
    return new DisabledFaultInjection();
  }

  /** Experiment templates for the service and what they need in its task. */
  public static enabled(options: FaultInjectionOptions = {}): FaultInjection {
    return new EnabledFaultInjection(options);
  }

  /**
   * Checks the options against the service's settings.
   *
   * @internal
   */
  public abstract _validate(errors: PropErrors, service: ServiceForFaultInjection): void;

  /**
   * What the task definition needs, set when it is created.
   *
   * @internal
   */
  public abstract _taskDefinitionProps(): { readonly enableFaultInjection?: boolean; readonly pidMode?: ecs.PidMode };

  /**
   * Creates the experiments and the task's prerequisites.
   *
   * @internal
   */
  public abstract _bind(scope: Construct, context: FaultInjectionContext): ServiceFaultInjection | undefined;

  /**
   * Fault injection as a feature of one service: every phase it takes part in, in one place.
   *
   * @internal
   */
  public _feature(service: ServiceForFaultInjection): FaultInjectionFeature {
    return new FaultInjectionFeature(this, service);
  }
}

/** Fault injection in a service's lifecycle: its checks, its task settings, its experiments, one per callee. */
export class FaultInjectionFeature implements ServiceFeature {
  /** The experiments, once the service's alarms exist. */
  public faultInjection?: ServiceFaultInjection;

  constructor(private readonly strategy: FaultInjection, private readonly service: ServiceForFaultInjection) {}

  public validate(errors: PropErrors): void {
    this.strategy._validate(errors, this.service);
  }

  public taskDefinition(): TaskDefinitionContribution {
    return this.strategy._taskDefinitionProps();
  }

  /** The experiments of the service, bound once its alarms exist. */
  public useMonitoring(unit: ServiceWithMonitoring): void {
    this.faultInjection = this.strategy._bind(unit.scope, {
      servicePath: unit.path, discoveryName: unit.name, task: unit.task, service: unit.service,
      clusterName: unit.clusterName, ecsServiceName: unit.name, minCapacity: unit.settings.minCapacity,
      healthAlarm: unit.healthAlarm, cache: unit.parts.find((p) => p.cacheFaultTarget)?.cacheFaultTarget, logs: unit.platform.logs,
      defaultAvailabilityZone: unit.defaultAvailabilityZone,
    });
  }

  public connect(callee: { readonly name: string }, connection: ServiceConnection): void {
    this.faultInjection?._addDependency(callee.name, connection.faultTarget.ports, connection.faultTarget.hosts);
  }
}

class DisabledFaultInjection extends FaultInjection {
  public _validate(): void {}

  public _taskDefinitionProps() {
    return {};
  }

  public _bind(): undefined {
    return undefined;
  }
}

class EnabledFaultInjection extends FaultInjection {
  private readonly settings: ResolvedFaultInjection;

  constructor(options: FaultInjectionOptions) {
    super();
    const errors = new PropErrors('FaultInjection.enabled');
    const all = Object.values(FaultExperiment);
    const experiments = options.experiments ?? all;
    for (const e of experiments) {
      if (!all.includes(e)) errors.add(`experiments must list FaultExperiment values (${all.join(', ')}), got ${JSON.stringify(e)}`);
    }
    if (options.experiments && experiments.length === 0) errors.add(`experiments must list at least one of ${all.join(', ')}, got []; FaultInjection.disabled() writes none`);
    if (new Set(experiments).size !== experiments.length) errors.add(`experiments must list each experiment once, got ${experiments.join(', ')}`);
    if ((options.stopAlarms?.length ?? 0) > 5) errors.add(`stopAlarms must hold at most 5 alarms (FIS's stop conditions per template), got ${options.stopAlarms!.length}`);
    errors.seconds('duration', options.duration, 60, 12 * 3600);
    errors.integer('taskPercent', options.taskPercent, 1, 100);
    errors.integer('cpuPercent', options.cpuPercent, 1, 100);
    errors.duration('latency', options.latency, 1, 60_000, 'between 1 ms and 1 minute');
    const latency = options.latency ?? Duration.millis(200);
    errors.duration('jitter', options.jitter, 0, Number.isFinite(millis(latency)) ? millis(latency) : 60_000, `between 0 and latency (${millis(latency)} ms)`);
    errors.text('agentImage', options.agentImage, /^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+((:[A-Za-z0-9._-]+)(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$/, 'an image with a tag or digest such as "public.ecr.aws/aws-fis/aws-fis-ssm-agent-non-root@sha256:<digest>"');
    errors.text('cacheAvailabilityZone', options.cacheAvailabilityZone, /^([a-z]{2}(-[a-z]+)+-\d[a-z]|[a-z]{3,4}\d-az\d+)$/, 'an Availability Zone name or ID such as "eu-west-1a" or "euw1-az1"');
    errors.throwIfAny();
    this.settings = {
      experiments: [...experiments],
      listed: options.experiments !== undefined,
      stopAlarms: [...options.stopAlarms ?? []],
      duration: options.duration ?? Duration.minutes(5),
      taskPercent: options.taskPercent ?? 50,
      cpuPercent: options.cpuPercent ?? 100,
      latency,
      jitter: options.jitter ?? Duration.millis(10),
      agentImage: options.agentImage ?? DEFAULT_AGENT_IMAGE,
      cacheAvailabilityZone: options.cacheAvailabilityZone,
    };
  }

  public _validate(errors: PropErrors, service: ServiceForFaultInjection): void {
    if (service.enableExecuteCommand && taskNeeds(this.settings.experiments).ssm) {
      errors.add('enableExecuteCommand must be false with faultInjection experiments other than STOP_TASKS (their SSM agent sidecar registers the task '
        + 'only when no other SSM agent runs in it; FIS guide, "ECS task actions"), got true');
    }
    const stops = (service.alarms ? 1 : 0) + this.settings.stopAlarms.length;
    if (stops === 0) {
      errors.add('faultInjection needs a stop condition: keep the service\'s alarms (its health alarm stops every experiment) or give FaultInjection.enabled({ stopAlarms }), got alarms.enabled false and no stopAlarms');
    } else if (stops > 5) {
      errors.add(`faultInjection stopAlarms must hold at most 4 alarms beside the health alarm (FIS allows 5 stop conditions per template), got ${this.settings.stopAlarms.length}`);
    }
  }

  public _taskDefinitionProps() {
    // The ECS fault injection endpoints answer only tasks with it; the network actions need the
    // task's PID namespace (FIS guide, "ECS task actions"; ECS guide, "Use fault injection").
    const needs = taskNeeds(this.settings.experiments);
    return {
      enableFaultInjection: needs.ssm ? true : undefined,
      pidMode: needs.network ? ecs.PidMode.TASK : undefined,
    };
  }

  public _bind(scope: Construct, context: FaultInjectionContext): ServiceFaultInjection {
    return ServiceFaultInjection._create(scope, 'FaultInjection', this.settings, context);
  }
}
