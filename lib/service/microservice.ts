import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { serviceFeatures } from './features';
import { MicroserviceProps } from './microservice-props';
import { createServiceNetwork } from './service-network';
import { type ResolvedSettings, resolveSettings } from './service-settings';
import { ServiceTaskDefinition } from './service-task';
import type { SidecarContainerOptions } from './sidecar-options';
import type { MicroserviceHttpApi } from '../api/microservice-http-api';
import type { MicroserviceRestApi } from '../api/microservice-rest-api';
import type { IServiceApi } from '../api/service-api-base';
import type { MicroserviceCache } from '../cache/microservice-cache';
import type { ServiceFaultInjection } from '../fault-injection/service-fault-injection';
import type { ServiceUnit } from '../private/feature';
import type { ServiceTopicOptions, SubscribeOptions } from '../messaging/messaging-options';
import { ServiceSubscription } from '../messaging/service-subscription';
import { IServiceTopic, ServiceTopic } from '../messaging/service-topic';
import { CalleeSide, calleeOf, ImportedMicroservice, IMicroservice, registerCallee, ServiceReferenceOptions } from './service-reference';
import { ServiceCallGraph } from '../mesh/call-graph';
import { RetryPolicy } from '../mesh/retry-policy';
import { ServiceAlarmProps, ServiceMonitoring } from '../monitoring/service-monitoring';
import { MicroservicePlatform } from '../platform/microservice-platform';
import type { IMicroservicePlatform } from '../platform/platform-props';
import type { MeshService, PlatformServices } from '../private/feature';
import { envStem, kebab, pascal } from '../private/names';
import { platformServicesOf } from '../private/platform-services';
import { followPlatformRevision } from '../private/platform-revision';
import { produceWeakReferences } from '../private/weak-references';
import { PropErrors } from '../private/validation';

/**
 * A complete microservice unit: an ECS Fargate service with its task definition, logging,
 * autoscaling, safe deployments and a security group that admits no caller until one is wired
 * in; its place in the mesh; and, when asked for, its API, its cache, tracing, alarms and dashboard.
 */
export class Microservice extends Construct implements IMicroservice, ec2.IConnectable, iam.IGrantable {
  /**
   * A service of another CDK app on the platform, by its name: `connectTo` and `subscribe` (to its
   * `topic(id)`) take it. The CDK CLI looks its contract up in the stack's account and region (the
   * stack needs an explicit `env`); in CI, `MicroserviceTesting.lookupContext()` gives the context.
   */
  public static fromServiceName(scope: Construct, id: string, options: ServiceReferenceOptions): ImportedMicroservice {
    return new ImportedMicroservice(scope, id, options);
  }

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
  /** The service's front door, whichever its flavour: what both flavours give (metrics, URL, timeout). */
  public readonly api?: IServiceApi;
  /** The service's HTTP API, with `api`. */
  public readonly httpApi?: MicroserviceHttpApi;
  /** The service's REST API, with `restApi`. */
  public readonly restApi?: MicroserviceRestApi;
  /** The service's cache, with `cache`: a `NodeBasedCache`, `ServerlessCache` or `ImportedCache`. */
  public readonly cache?: MicroserviceCache;
  /** How callers retry requests to this service. */
  public readonly retryPolicy: RetryPolicy;
  /** How long a request into this service may take through the mesh, as the mesh resolved it. */
  public readonly requestTimeout: Duration;
  /** Alarms, health alarm, deployment alarms and dashboard. */
  public readonly monitoring: ServiceMonitoring;
  /** The OpenTelemetry collector sidecar, with `tracing`. */
  public readonly collector?: ecs.ContainerDefinition;
  /** The service's FIS experiment templates and their role, with `faultInjection: FaultInjection.enabled()`. */
  public readonly faultInjection?: ServiceFaultInjection;

  private readonly platformServices: PlatformServices;
  private readonly features: ReturnType<typeof serviceFeatures>;
  private readonly task: ServiceTaskDefinition;
  private readonly callers: Microservice[] = [];
  private readonly canaries: Microservice[] = [];
  private readonly subscriptions: ServiceSubscription[] = [];
  private readonly topics: ServiceTopic[] = [];
  private readonly minCapacity: number;

  constructor(scope: Construct, id: string, props: MicroserviceProps) {
    super(scope, id);
    // What other stacks reference of the service (connectTo's rules) is referenced weakly.
    produceWeakReferences(this);
    this.platform = props.platform ?? MicroservicePlatform.defaultFor(this);
    this.platformServices = platformServicesOf(this.platform, `Microservice '${this.node.path}'`);
    const features = this.features = serviceFeatures(props, this.node.path);
    const s = resolveSettings(this.node.path, id, props, this.platformServices.mesh.maxTasksResolved,
      (errors, settings) => features.all.forEach((f) => f.validate?.(errors, this.unitOf(settings))));
    this.platformServices.claimServiceName(s.discoveryName, this.node.path);
    followPlatformRevision(this, this.platform);
    ({ containerPort: this.containerPort, discoveryName: this.discoveryName, minCapacity: this.minCapacity } = s);
    this.retryPolicy = props.retryPolicy ?? RetryPolicy.none();

    // The lifecycle: every feature through every phase, in registration order (lib/private/feature.ts).
    const unit = this.unitOf(s);
    this.task = new ServiceTaskDefinition(this, s, props, this.platformServices.logs, {
      taskDefinition: Object.assign({}, ...features.all.map((f) => f.taskDefinition?.(unit))),
      appContainer: Object.assign({}, ...features.all.map((f) => f.appContainer?.(unit))),
    });
    ({ taskDefinition: this.taskDefinition, container: this.container, logGroup: this.logGroup } = this.task);
    const withTask = { ...unit, task: this.task };
    features.all.forEach((f) => f.useTask?.(withTask));
    ({ securityGroup: this.securityGroup, service: this.service, cloudMapService: this.cloudMapService, connections: this.connections }
      = createServiceNetwork(this, s, this.platform, this.task, props));
    const withNetwork = { ...withTask, service: this.service, securityGroup: this.securityGroup, cloudMapService: this.cloudMapService };
    features.all.forEach((f) => f.useService?.(withNetwork));
    const parts = features.all.flatMap((f) => f.parts?.(withNetwork) ?? []);
    this.monitoring = ServiceMonitoring._create(this, 'Monitoring', {
      name: s.discoveryName, servicePath: this.node.path, service: this.service,
      alarmTopic: this.platform.alarmTopic, warningTopic: this.platform.warningTopic, options: props.alarms ?? {}, parts,
      onRuleCreated: () => this.platformServices.quotas.count('eventBridgeRules', 'the account\'s default event bus'),
    });
    const withMonitoring = { ...withNetwork, healthAlarm: this.monitoring.healthAlarm, healthAlarmName: this.monitoring.healthAlarmName, parts };
    features.all.forEach((f) => f.useMonitoring?.(withMonitoring));

    ({ api: this.api, httpApi: this.httpApi, restApi: this.restApi } = features.frontDoor);
    ({ cache: this.cache } = features.cache);
    ({ collector: this.collector } = features.tracing);
    ({ faultInjection: this.faultInjection } = features.faultInjection);
    ({ scaling: this.scaling } = features.scaling);
    this.requestTimeout = this.mesh.requestTimeout;
    this.joinCallGraph();
    const self = this;
    registerCallee(this, {
      platformName: this.platformServices.platformName, known: true, platformMesh: this.platformServices.mesh, get mesh() { return self.mesh; }, securityGroup: this.securityGroup, name: this.discoveryName,
      path: this.node.path, callers: this.callers, get canaries() { return self.canaries.map((c) => calleeOf(c, self.node.path)); },
    });
  }

  /**
   * Adds a container beside the app in the service's task (a log router, an agent): its `cpu` and
   * `memoryReservationMiB` (or `memoryLimitMiB`) count against the task size, and the app
   * container gets what the sidecars leave (at least 128 CPU units and 256 MiB, checked at
   * synth); the app starts after it (`appStartsAfter`, START by default); it logs to the
   * service's log group unless `logging` says otherwise, and its root filesystem is read-only
   * unless `readonlyRootFilesystem` is false. A container added to `taskDefinition` directly fails synthesis.
   */
  public addSidecar(id: string, options: SidecarContainerOptions): ecs.ContainerDefinition {
    return this.task.addUserSidecar(id, options);
  }

  /** The task role: grants to the service (`bucket.grantReadWrite(service)`) go to its tasks. */
  public get grantPrincipal(): iam.IPrincipal {
    return this.taskDefinition.taskRole;
  }

  /** What every phase of the lifecycle sees of the service. */
  private unitOf(s: ResolvedSettings): ServiceUnit {
    return {
      scope: this, path: this.node.path, name: s.discoveryName, settings: s,
      vpc: this.platform.vpc, subnets: this.platform.serviceSubnets, namespace: this.platform.namespace,
      clusterName: this.platform.cluster.clusterName, defaultAvailabilityZone: this.platform.vpc.availabilityZones[0],
      platform: this.platformServices,
    };
  }

  private get mesh(): MeshService {
    return this.features.mesh.service;
  }

  /**
   * Lets this service call `callee`: a security-group rule (in this service's stack) admits this
   * service's tasks on the callee's port, the mesh learns the dependency, and this container
   * receives the callee's URL as `<CALLEE>_URL` (Service Connect: `PAYMENTS_URL=http://payments:8080`;
   * Envoy: the local listener, `http://127.0.0.1:15001`). Nothing else may call the callee.
   */
  public connectTo(service: IMicroservice): void {
    if (service === this) throw new Error(`connectTo() of Microservice '${this.node.path}' got the service itself`);
    const callee = calleeOf(service, `connectTo() of Microservice '${this.node.path}'`);
    if (callee.platformName !== this.platformServices.platformName) {
      throw new Error(`connectTo() of Microservice '${this.node.path}' needs both services on the same platform ('${this.platformServices.platformName}'), got '${callee.path}' on '${callee.platformName}'`);
    }
    if (callee.callers.includes(this)) return;
    // The mesh decides (and may refuse: nothing is recorded before it has); the service applies
    // its decisions and hands them to every feature.
    const connection = this.mesh.connect(callee.mesh);
    callee.callers.push(this);
    this.admitInto(callee, connection.ingressPorts);
    for (const canary of callee.canaries) this.admitInto(canary, canary.mesh.ingressPorts);
    this.task.addEnvironment(`${envStem(callee.name)}_URL`, connection.url);
    if (connection.part) this.monitoring._addPart(connection.part);
    for (const f of this.features.all) f.connect?.({ name: callee.name, path: callee.path }, connection);
    if (callee.known) ServiceCallGraph.of(this)._addCall(this.node.path, callee.path);
  }

  /**
   * Sends `percent` of the traffic for this service to `canary`, another version of it (1 to 99),
   * through every caller's Envoy sidecar (`ServiceMesh.envoy()`): weighted routing, as App Mesh's
   * routes did. The canary's tasks admit this service's callers. On Service Connect, use
   * `deployment` (ECS's native canary and linear deployments) instead.
   */
  public routeCanary(canary: Microservice, percent: number): void {
    const errors = new PropErrors(`routeCanary() of Microservice '${this.node.path}'`);
    if (canary === this || canary.platformServices.mesh !== this.platformServices.mesh) errors.add(`canary must be another service on the same platform, got '${canary.node.path}'`);
    errors.integer('percent', percent, 1, 99);
    if (this.canaries.length > 0) errors.add(`a service routes to one canary at a time, got a second: '${canary.node.path}'`);
    errors.throwIfAny();
    this.mesh.routeCanary(canary.mesh, percent);
    this.canaries.push(canary);
    for (const caller of this.callers) caller.admitInto(calleeOf(canary, this.node.path), canary.mesh.ingressPorts);
  }

  /**
   * A topic this service publishes (`OrderPlaced`): an SNS topic in this service's stack,
   * encrypted, TLS only, traced with `tracing`. The task role may publish; the container gets its
   * ARN as `<TOPIC>_TOPIC_ARN` (`ORDER_PLACED_TOPIC_ARN`). Other services `subscribe()` to it.
   */
  public addTopic(id: string, options: ServiceTopicOptions = {}): ServiceTopic {
    const clash = this.topics.find((t) => kebab(t.topicId) === kebab(id));
    if (clash) {
      const errors = new PropErrors(`addTopic('${id}') of Microservice '${this.node.path}'`);
      errors.add(`id must differ from the service's other topics once in kebab case (the topic's name and ${clash.environmentVariable} come from it), got "${id}" beside "${clash.topicId}"`);
      errors.throwIfAny();
    }
    const topic = ServiceTopic._create(this.messagingScope('Topics'), id, options, {
      servicePath: this.node.path, discoveryName: this.discoveryName, task: this.task, tracing: this.features.tracing.traced,
      snsTracingPolicy: () => this.platformServices.createSnsTracingPolicyOnce(),
    });
    this.monitoring._addPart(topic._part);
    this.topics.push(topic);
    this.features.contract.addTopic(topic);
    return topic;
  }

  /**
   * Subscribes this service to `topic` through a queue of its own, in its own stack (with a
   * dead-letter queue, a filter, alarms and a dashboard row): the container gets the queue URL as
   * `<TOPIC>_QUEUE_URL` and the task role may consume. The publisher's stack does not change;
   * this service's stack is deployed after it. `scaleOnBacklog` scales the service on the
   * queue's backlog per task, to zero with `autoScaling.minCapacity: 0`.
   */
  public subscribe(topic: IServiceTopic, options: SubscribeOptions = {}): ServiceSubscription {
    const errors = new PropErrors(`subscribe() of Microservice '${this.node.path}' to ${topic.topicName}`);
    const variable = ServiceSubscription.environmentVariableOf(topic);
    const id = `${pascal(topic.publisherName)}${topic.topicId}`;
    if (this.subscriptions.some((x) => x.topic === topic)) errors.add(`topic must be one this service does not subscribe to yet, got ${topic.topicName} a second time`);
    const clash = this.subscriptions.find((x) => x.environmentVariable === variable && x.topic !== topic);
    if (clash) errors.add(`topic must not share its id with another topic this service subscribes to (both would be ${variable}), got ${topic.topicName} beside ${clash.topic.topicName}`);
    const twin = this.subscriptions.find((x) => x.node.id === id && x.topic !== topic);
    if (twin) errors.add(`topic must not give the same subscription id as another (${id}, from the publisher's name and the topic's id), got ${topic.topicName} beside ${twin.topic.topicName}`);
    const here = Stack.of(this), there = Stack.of(topic);
    const unchecked: string[] = [];
    for (const attr of ['account', 'region'] as const) {
      const [a, b] = [Token.isUnresolved(here[attr]), Token.isUnresolved(there[attr])];
      if (!a && !b && here[attr] !== there[attr]) {
        errors.add(`topic must be in this service's ${attr} (the queue admits the topic by an ARN of its own ${attr}), got ${there[attr]} for ${here[attr]}`);
      } else if (a !== b) {
        unchecked.push(attr);
      }
    }
    if (options.scaleOnBacklog && this.platformServices.containerInsights === false) {
      errors.add('scaleOnBacklog requires Container Insights on the platform\'s cluster (it reads ECS/ContainerInsights task counts), got containerInsights DISABLED');
    }
    // The options too, before anything is added: a refused call leaves the app as it was.
    const settings = ServiceSubscription._check(errors, options);
    errors.throwIfAny();
    if (unchecked.length > 0) {
      Annotations.of(this).addWarningV2('cdk-microservice:subscriptionEnvironment',
        `subscribe() names ${topic.topicName} by an ARN of this stack's ${unchecked.join(' and ')}; one of the two stacks has no explicit ${unchecked.join(' or ')}, so it is not checked: both must deploy to the same`);
    }
    if (options.scaleOnBacklog && this.platformServices.containerInsights === undefined) {
      Annotations.of(this).addWarningV2('cdk-microservice:backlogNeedsContainerInsights',
        'scaleOnBacklog reads ECS/ContainerInsights RunningTaskCount (the backlog per task): the platform\'s cluster is yours, so make sure Container Insights is on');
    }
    if (here !== there) dependOn(here, there, `${this.node.path} subscribes to ${topic.topicName}`);
    const sub = ServiceSubscription._create(this.messagingScope('Subscriptions'), id, topic, options, settings, {
      servicePath: this.node.path, discoveryName: this.discoveryName, task: this.task, scaling: this.scaling,
      clusterName: this.platform.cluster.clusterName, ecsServiceName: this.discoveryName, scalesToZero: this.minCapacity === 0,
      alarmPrefix: this.monitoring._alarmPrefix,
    });
    this.subscriptions.push(sub);
    this.monitoring._addPart(sub._part);
    ServiceCallGraph.of(this)._addAsyncCall(topic.publisherPath, this.node.path, topic.topicName, sub.maxReceiveCount);
    return sub;
  }

  /**
   * The service's alarms: each default by the key that overrides it (`'api.latencyP99'`; one per
   * backend, topic or subscription with its suffix, `'edges.serverErrorRate.Payments'`), and each
   * `addAlarm` alarm by its id.
   */
  public get alarms(): { [key: string]: cloudwatch.Alarm } {
    return this.monitoring.alarms;
  }

  /** The service's dashboard. */
  public get dashboard(): cloudwatch.Dashboard {
    return this.monitoring.dashboard;
  }

  /** The service's dashboard widgets, for a dashboard of your own. */
  public widgets(): cloudwatch.IWidget[] {
    return this.monitoring.widgets();
  }

  /**
   * Adds an alarm on the service's metrics, named by `alarms.naming` and routed by `alarms.actions`
   * like the default ones (by default `<stack>-<service>-<id>`; critical joins the health alarm,
   * which pages, warning notifies); it is `alarms[id]`.
   */
  public addAlarm(id: string, props: ServiceAlarmProps): cloudwatch.Alarm {
    return this.monitoring.addAlarm(id, props);
  }

  /** Average CPU utilization of the service's tasks (AWS/ECS CPUUtilization), average over 5 minutes. */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.metricCpuUtilization(props);
  }

  /** Average memory utilization of the service's tasks (AWS/ECS MemoryUtilization), average over 5 minutes. */
  public metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.metricMemoryUtilization(props);
  }

  /** Registers the service in the app's call graph, which checks retries and timeouts at synth. */
  private joinCallGraph(): void {
    ServiceCallGraph.of(this)._addService(this.node.path, () => ({
      path: this.node.path,
      name: this.discoveryName,
      attempts: this.retryPolicy.attempts,
      perRetryTimeout: this.retryPolicy.perRetryTimeout,
      requestTimeout: this.requestTimeout,
      apiTimeout: this.api?.timeout,
      retriesEnforced: this.mesh.retriesEnforced,
    }));
    this.node.addValidation({
      validate: () => {
        for (const w of ServiceCallGraph.of(this)._warningsOf(this.node.path)) Annotations.of(this).addWarningV2('cdk-microservice:asyncCycle', w);
        return [...ServiceCallGraph.of(this)._violationsOf(this.node.path), ...this.scaleToZeroErrors()];
      },
    });
  }

  /**
   * A service that may scale to zero is a queue worker: only a queue's backlog starts a task from
   * zero, so every queue must wake it, and nothing may call it in the meantime.
   */
  private scaleToZeroErrors(): string[] {
    if (this.minCapacity > 0) return [];
    const subject = `autoScaling.minCapacity of Microservice '${this.node.path}' must be at least 1`;
    const errors: string[] = [];
    const asleep = this.subscriptions.filter((sub) => !sub.scalesOnBacklog);
    if (this.subscriptions.length === asleep.length) {
      errors.push(`${subject} unless the service subscribes with scaleOnBacklog (only a queue's backlog starts a task from zero), got 0 and ${this.subscriptions.length} subscription(s) without it`);
    } else if (asleep.length > 0) {
      errors.push(`${subject} unless every subscription has scaleOnBacklog (messages in the others would wait for traffic on one that has), got 0 with ${asleep.map((x) => x.topic.topicName).join(', ')} without it`);
    }
    if (this.api) errors.push(`${subject} for a service with an API (at zero tasks every request fails), got 0`);
    if (this.callers.length > 0) errors.push(`${subject} for a service others connectTo (at zero tasks their calls fail), got 0 and callers ${this.callers.map((c) => c.node.path).join(', ')}`);
    return errors;
  }

  private messagingScope(id: string): Construct {
    return (this.node.tryFindChild(id) as Construct | undefined) ?? new Construct(this, id);
  }

  /** Rules in this service's stack that admit its tasks into `target`'s, on the ports its mesh admits callers on. */
  private admitInto(target: CalleeSide, ports: readonly number[]): void {
    for (const port of ports) {
      const id = `Calls${pascal(target.name)}${ports.length > 1 ? port : ''}`;
      if (this.node.tryFindChild(id)) continue;
      this.platformServices.quotas.count('securityGroupRules', `the security group of ${target.path}`);
      new ec2.CfnSecurityGroupIngress(this, id, {
        groupId: target.securityGroup.securityGroupId,
        sourceSecurityGroupId: this.securityGroup.securityGroupId,
        ipProtocol: 'tcp',
        fromPort: port,
        toPort: port,
        description: `${this.node.path} calls ${target.path}`,
      });
    }
  }
}

/**
 * `consumer` deploys after `producer`. A stack dependency already the other way round (another
 * subscription) is a cycle no deployment order resolves, refused here; one that a reference makes
 * (a `connectTo` the other way) appears at synth, where aws-cdk-lib refuses it naming both stacks.
 */
function dependOn(consumer: Stack, producer: Stack, reason: string): void {
  try {
    consumer.addStackDependency(producer, reason);
  } catch (e) {
    throw new Error(`${reason}: its stack ${consumer.stackName} must deploy after ${producer.stackName}, which already depends on it `
      + `(a subscription the other way round): put both services in one stack, or turn one of the two around (${(e as Error).message})`);
  }
}
