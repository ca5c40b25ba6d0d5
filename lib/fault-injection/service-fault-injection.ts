import { Annotations, Aspects, CfnOutput, Duration, Lazy, RemovalPolicy, Stack, Tags, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createExperimentRole, FIS_TARGET_TAG } from './experiment-role';
import { FaultExperiment } from './fault-injection-options';
import type { FaultInjectionContext, ResolvedFaultInjection } from './fault-injection-context';
import { addSsmAgent } from './ssm-agent';
import { createLogGroup } from '../private/log-groups';
import { pascal } from '../private/names';

/** The SSM documents of the task actions with the ECS fault injection endpoints (FIS actions reference). */
const DOCUMENTS = {
  cpu: 'AWSFIS-Run-CPU-Stress',
  blackhole: 'AWSFIS-Run-Network-Blackhole-Port-ECS',
  latency: 'AWSFIS-Run-Network-Latency-ECS',
  packetLoss: 'AWSFIS-Run-Network-Packet-Loss-ECS',
} as const;

/** The port of AWS's APIs, which the task's agents and SDKs use whatever its dependencies. */
const HTTPS_PORT = 443;

/** The experiments that run an SSM document in the task, hence need the SSM agent sidecar. */
const SSM_EXPERIMENTS: readonly FaultExperiment[] = [
  FaultExperiment.CPU_STRESS, FaultExperiment.DEPENDENCY_UNREACHABLE, FaultExperiment.DEPENDENCY_LATENCY, FaultExperiment.CACHE_UNREACHABLE,
];
/** The experiments on the task's network: the task's PID namespace and the ECS endpoints. */
const NETWORK_EXPERIMENTS: readonly FaultExperiment[] = [
  FaultExperiment.DEPENDENCY_UNREACHABLE, FaultExperiment.DEPENDENCY_LATENCY, FaultExperiment.CACHE_UNREACHABLE,
];

/** The experiments of each `connectTo` dependency, and of the cache. */
const DEPENDENCY_EXPERIMENTS: readonly FaultExperiment[] = [FaultExperiment.DEPENDENCY_UNREACHABLE, FaultExperiment.DEPENDENCY_LATENCY];
const CACHE_EXPERIMENTS: readonly FaultExperiment[] = [FaultExperiment.CACHE_UNREACHABLE, FaultExperiment.CACHE_AZ_POWER];

/** Whether the experiments need the SSM agent sidecar, and the task's PID namespace. */
export function taskNeeds(experiments: readonly FaultExperiment[]): { readonly ssm: boolean; readonly network: boolean } {
  return {
    ssm: experiments.some((e) => SSM_EXPERIMENTS.includes(e)),
    network: experiments.some((e) => NETWORK_EXPERIMENTS.includes(e)),
  };
}

/** Something the service talks to that an experiment takes away: a `connectTo` dependency or the cache. */
interface Dependency {
  /** Template name stem: `Payments`, `Cache`. */
  readonly stem: string;
  readonly what: string;
  /** Every port it listens on. */
  readonly ports: number[];
  /** Hosts whose addresses a by-destination fault hits. */
  readonly hosts: string[];
}

/**
 * The AWS FIS experiment templates of one service (`faultInjection: FaultInjection.enabled()`):
 * each in the service's stack, run by the service's experiment role, stopped by its health
 * alarm, logging to its log group; the template ids are stack outputs.
 */
export class ServiceFaultInjection extends Construct {
  /** @internal */
  public static _create(scope: Construct, id: string, settings: ResolvedFaultInjection, context: FaultInjectionContext): ServiceFaultInjection {
    return new ServiceFaultInjection(scope, id, settings, context);
  }

  /** The role FIS assumes to run this service's experiments. */
  public readonly role: iam.IRole;
  /** Where FIS logs each experiment's progress (`/aws/vendedlogs/fis/<stack>/<service>`). */
  public readonly logGroup: logs.ILogGroup;
  /** The alarms that stop every experiment: the health alarm first. */
  public readonly stopAlarms: cloudwatch.IAlarm[];
  private readonly templateMap: { [name: string]: fis.CfnExperimentTemplate } = {};
  private readonly settings: ResolvedFaultInjection;
  private readonly context: FaultInjectionContext;
  private readonly dependencies: Dependency[] = [];
  private warnedNoTask = false;
  private cacheDependency?: Dependency;

  private constructor(scope: Construct, id: string, settings: ResolvedFaultInjection, context: FaultInjectionContext) {
    super(scope, id);
    this.settings = settings;
    this.context = context;
    const has = (e: FaultExperiment) => settings.experiments.includes(e);
    const needs = taskNeeds(settings.experiments);
    // What the experiments may act on carries this tag: the ECS service (its tasks receive its
    // tags: propagateTags SERVICE), the managed instances its agents register, the replication group.
    const targetTag = `${Stack.of(this).stackName}/${context.discoveryName}`;
    Tags.of(context.service).add(FIS_TARGET_TAG, targetTag);
    if (needs.ssm) addSsmAgent(this, context.task, settings.agentImage, targetTag);

    const cache = context.cache;
    const azPower = has(FaultExperiment.CACHE_AZ_POWER) ? cache?.azPower : undefined;
    if (azPower && !azPower.replicationGroup) {
      Annotations.of(this).addWarningV2('cdk-microservice:noCacheAzPowerExperiment',
        `No cache AZ power experiment for ${context.servicePath}: ${azPower.whyNot}. The cache unreachable experiment still takes the cache away from the tasks.`);
    }
    if (azPower?.replicationGroup) Tags.of(azPower.replicationGroup).add(FIS_TARGET_TAG, targetTag);

    const stack = Stack.of(this);
    const documents = [
      ...(has(FaultExperiment.CPU_STRESS) ? [DOCUMENTS.cpu] : []),
      ...(has(FaultExperiment.DEPENDENCY_UNREACHABLE) || has(FaultExperiment.CACHE_UNREACHABLE) ? [DOCUMENTS.blackhole, DOCUMENTS.packetLoss] : []),
      ...(has(FaultExperiment.DEPENDENCY_LATENCY) ? [DOCUMENTS.latency] : []),
    ];
    this.role = createExperimentRole(this, {
      servicePath: context.servicePath, clusterName: context.clusterName, targetTag, stopsTasks: has(FaultExperiment.STOP_TASKS),
      documents, network: needs.network, cachePower: azPower?.replicationGroup !== undefined,
    });
    // A name under /aws/vendedlogs/ keeps the account's log delivery resource policy from
    // growing with each group (CloudWatch Logs guide, "Enabling logging from AWS services").
    this.logGroup = createLogGroup(this, 'LogGroup', context.logs, {
      logGroupName: `/aws/vendedlogs/fis/${stack.stackName}/${context.discoveryName}`,
      defaultRetention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stopAlarms = [...(context.healthAlarm ? [context.healthAlarm] : []), ...settings.stopAlarms];

    if (has(FaultExperiment.STOP_TASKS)) {
      this.template('StopTasks', `stop ${settings.taskPercent}% of the tasks of ${context.discoveryName}, then watch it for ${describe(settings.duration)}`, {
        StopTasks: { actionId: 'aws:ecs:stop-task', targets: { Tasks: 'Tasks' } },
        // The experiment stays open while the service recovers: its health alarm stops it if customers feel it.
        Watch: { actionId: 'aws:fis:wait', parameters: { duration: settings.duration.toIsoString() }, startAfter: ['StopTasks'] },
      });
    }
    if (has(FaultExperiment.CPU_STRESS)) {
      this.template('CpuStress', `load ${settings.cpuPercent}% of the CPU of ${settings.taskPercent}% of the tasks of ${context.discoveryName} for ${describe(settings.duration)}`, {
        CpuStress: {
          actionId: 'aws:ecs:task-cpu-stress',
          parameters: { duration: settings.duration.toIsoString(), percent: String(settings.cpuPercent) },
          targets: { Tasks: 'Tasks' },
        },
      });
    }
    // Listed experiments that find nothing to act on (no connectTo dependency, no cache) would
    // still bring their prerequisites into the task: said once every dependency is known.
    if (settings.listed) {
      Aspects.of(this).add({ visit: (node) => { if (node === this) this.warnUnused(); } });
    }
    if (cache) {
      const dependency: Dependency = { stem: 'Cache', what: 'its cache', ports: cache.ports, hosts: cache.hosts };
      this.cacheDependency = dependency;
      this.dependencies.push(dependency);
      if (has(FaultExperiment.CACHE_UNREACHABLE)) this.unreachable(dependency);
    }
    if (azPower?.replicationGroup) {
      const az = settings.cacheAvailabilityZone ?? context.defaultAvailabilityZone;
      this.template('CacheAzPower', `cut the power of the nodes of the cache of ${context.discoveryName} in ${az} for ${describe(settings.duration)}`, {
        CacheAzPower: {
          actionId: 'aws:elasticache:replicationgroup-interrupt-az-power',
          parameters: { duration: settings.duration.toIsoString() },
          targets: { ReplicationGroups: 'ReplicationGroups' },
        },
      }, {
        // ElastiCache targets go by tags, with the AZ as a required parameter (FIS guide, "Targets").
        ReplicationGroups: {
          resourceType: 'aws:elasticache:replicationgroup',
          resourceTags: { [FIS_TARGET_TAG]: targetTag },
          parameters: { availabilityZoneIdentifier: az },
          selectionMode: 'ALL',
        },
      });
    }
  }

  /** The experiment templates, by name (`StopTasks`, `CpuStress`, `PaymentsUnreachable`, ...). */
  public get templates(): { [name: string]: fis.CfnExperimentTemplate } {
    return { ...this.templateMap };
  }

  /**
   * A dependency `connectTo` added: its unreachable and latency experiments.
   *
   * @internal
   */
  public _addDependency(name: string, ports: number[], hosts: string[]): void {
    // A callee's templates are named after it; one named like the cache's (a callee `cache`)
    // takes a suffix until its names are free.
    let stem = pascal(name);
    while (this.dependencies.some((d) => d.stem === stem)) stem = `${stem}Service`;
    const dependency: Dependency = { stem, what: name, ports: [...ports], hosts: [...hosts] };
    this.dependencies.push(dependency);
    if (this.settings.experiments.includes(FaultExperiment.DEPENDENCY_UNREACHABLE)) this.unreachable(dependency);
    if (this.settings.experiments.includes(FaultExperiment.DEPENDENCY_LATENCY)) {
      const { latency, jitter } = this.settings;
      this.template(`${stem}Latency`, `add ${latency.toMilliseconds()} ms (jitter ${jitter.toMilliseconds()} ms) to every packet from ${this.settings.taskPercent}% of the tasks of ${this.context.discoveryName} to ${name} for ${describe(this.settings.duration)}`, {
        Latency: {
          actionId: 'aws:ecs:task-network-latency',
          parameters: {
            duration: this.settings.duration.toIsoString(),
            delayMilliseconds: String(latency.toMilliseconds()),
            jitterMilliseconds: String(jitter.toMilliseconds()),
            sources: hosts.join(','),
            // Fargate has no NET_ADMIN for tc: the ECS fault injection endpoints apply the fault (FIS guide, "ECS task actions").
            useEcsFaultInjectionEndpoints: 'true',
          },
          targets: { Tasks: 'Tasks' },
        },
      });
    }
  }

  /**
   * Takes a dependency away from the tasks with the narrowest fault that hits it alone: a
   * black-hole of its port while no other connection of the task uses that port (no container of
   * the task listens on it, no other dependency has it, it is not 443, the AWS APIs' port), else
   * every packet to its addresses lost. A port black-hole drops every connection to the port, the
   * task's own loopback ones included (the ECS agent's rule matches any destination), so on a
   * port the service itself or another dependency uses it would cut more than the dependency.
   */
  private unreachable(dependency: Dependency): void {
    const duration = this.settings.duration.toIsoString();
    // One port, known at synth, that nothing else of the task uses: else by destination.
    // 443 is every AWS API's port: the SSM agent's (which runs the fault) and the app's SDK calls.
    const others = () => [HTTPS_PORT, ...this.context.task.listenPorts(), ...this.dependencies.filter((d) => d !== dependency).flatMap((d) => d.ports)];
    const shared = () => dependency.ports.length !== 1 || Token.isUnresolved(dependency.ports[0])
      || others().some((p) => Token.isUnresolved(p) || p === dependency.ports[0]);
    this.template(`${dependency.stem}Unreachable`, Lazy.string({
      produce: () => `make ${dependency.what} unreachable from ${this.settings.taskPercent}% of the tasks of ${this.context.discoveryName} for ${describe(this.settings.duration)} `
        + (shared() ? `(every packet to ${dependency.hosts.join(', ')} lost)` : `(port ${dependency.ports[0]} black-holed)`),
    }), Lazy.any({
      produce: () => ({
        Unreachable: shared()
          ? {
            actionId: 'aws:ecs:task-network-packet-loss',
            parameters: { duration, lossPercent: '100', sources: dependency.hosts.join(','), useEcsFaultInjectionEndpoints: 'true' },
            targets: { Tasks: 'Tasks' },
          }
          : {
            actionId: 'aws:ecs:task-network-blackhole-port',
            parameters: { duration, port: String(dependency.ports[0]), protocol: 'tcp', trafficType: 'egress', useEcsFaultInjectionEndpoints: 'true' },
            targets: { Tasks: 'Tasks' },
          },
      }),
    }));
  }

  private warnUnused(): void {
    const hasCallee = this.dependencies.some((d) => d !== this.cacheDependency);
    const missing = (e: FaultExperiment) => (DEPENDENCY_EXPERIMENTS.includes(e) ? !hasCallee : CACHE_EXPERIMENTS.includes(e) && !this.context.cache);
    const unused = this.settings.experiments.filter(missing);
    if (unused.length === 0) return;
    const lacks = [
      ...(unused.some((e) => DEPENDENCY_EXPERIMENTS.includes(e)) ? ['connectTo dependency'] : []),
      ...(unused.some((e) => CACHE_EXPERIMENTS.includes(e)) ? ['cache'] : []),
    ];
    Annotations.of(this).addWarningV2('cdk-microservice:faultInjectionExperimentUnused',
      `faultInjection experiments ${unused.join(', ')} of ${this.context.servicePath} write no template: the service has no ${lacks.join(' and no ')}. `
      + 'Leave them out: what they need in the task is added all the same');
  }

  /** Once, when a template targets tasks: FIS rounds the share of tasks down. */
  private warnIfNoTask(): void {
    if (this.warnedNoTask) return;
    this.warnedNoTask = true;
    const { minCapacity, servicePath } = this.context;
    const { taskPercent } = this.settings;
    if (Math.floor(minCapacity * taskPercent / 100) < 1) {
      Annotations.of(this).addWarningV2('cdk-microservice:faultInjectionSelectsNoTask',
        `taskPercent ${taskPercent} of ${servicePath}'s minimum of ${minCapacity} task(s) selects none (FIS rounds down and fails an experiment without targets): `
        + `run the task experiments with at least ${Math.ceil(100 / taskPercent)} tasks, or raise taskPercent`);
    }
  }

  /** A template of this service's: on `targets`, else on `taskPercent` of its running tasks. */
  private template(name: string, description: string, actions: fis.CfnExperimentTemplateProps['actions'],
    targets?: { [name: string]: fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty }): fis.CfnExperimentTemplate {
    const template = new fis.CfnExperimentTemplate(this, name, {
      description,
      roleArn: this.role.roleArn,
      stopConditions: this.stopAlarms.map((a) => ({ source: 'aws:cloudwatch:alarm', value: a.alarmArn })),
      targets: targets ?? {
        Tasks: {
          resourceType: 'aws:ecs:task',
          // The service's running tasks, whatever their ids (FIS guide, "Targets", aws:ecs:task parameters).
          parameters: { cluster: this.context.clusterName, service: this.context.ecsServiceName },
          selectionMode: `PERCENT(${this.settings.taskPercent})`,
        },
      },
      actions,
      // The group's ARN attribute already ends in ':*', which FIS requires.
      logConfiguration: { logSchemaVersion: 2, cloudWatchLogsConfiguration: { LogGroupArn: this.logGroup.logGroupArn } },
      experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' },
      tags: { Name: `${this.context.discoveryName}-${name}` },
    });
    this.templateMap[name] = template;
    if (!targets) this.warnIfNoTask();
    new CfnOutput(this, `${name}TemplateId`, {
      value: template.attrId,
      description: `FIS experiment template of ${this.context.servicePath}: ${name} (aws fis start-experiment --experiment-template-id <id>)`,
    });
    return template;
  }
}

function describe(d: Duration): string {
  const s = d.toSeconds();
  return s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`;
}
