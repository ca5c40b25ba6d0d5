import type { Duration } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import type { Construct, IConstruct } from 'constructs';
import type { PlatformAuthorizer, ServicePart, ServiceTask } from './binding';
import type { LogSettings } from './log-groups';
import type { PropErrors } from './validation';
import type { ConnectionPool, OutlierDetection, ServiceProtocol } from '../mesh/resilience';
import type { RetryPolicy } from '../mesh/retry-policy';
import type { MeshContract, ServiceContract } from './contract';
import type { QuotaCounter } from './quotas';

// One lifecycle for every part of a service. `Microservice` creates its features from the props
// (lib/service/features.ts) and runs each through the same phases, in registration order:
//
//   validate → taskDefinition → appContainer → (task created) → useTask → (service created)
//   → useService → parts → (monitoring created) → useMonitoring;  later, per callee: connect
//
// A feature sees the service through the unit of its phase, never another feature: what one part
// gives another travels as data the composer holds (a monitoring part, a fault target, a
// connection's decisions).

/** The settings every feature may read, defaults applied (a feature's own props reach it when it is created). */
export interface UnitSettings {
  readonly containerPort: number;
  readonly protocol: ServiceProtocol;
  readonly cpu: number;
  readonly memoryLimitMiB: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly targetCpu: number;
  readonly targetMemory: number;
  readonly enableExecuteCommand: boolean;
}

/** What every phase sees of the service: its settings and its platform. */
export interface ServiceUnit {
  /** The Microservice construct: features create their constructs under it. */
  readonly scope: Construct;
  /** The service's construct path, for errors. */
  readonly path: string;
  /** The name it registers under (`orders`): ECS service name, discovery name. */
  readonly name: string;
  /** The service's settings with their defaults applied. */
  readonly settings: UnitSettings;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly namespace: servicediscovery.IPrivateDnsNamespace;
  readonly clusterName: string;
  readonly defaultAvailabilityZone: string;
  readonly platform: PlatformServices;
}

/** Once the task definition and the app container exist. */
export interface ServiceWithTask extends ServiceUnit {
  readonly task: ServiceTask;
}

/** Once the Fargate service and its network exist. */
export interface ServiceWithNetwork extends ServiceWithTask {
  readonly service: ecs.FargateService;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly cloudMapService: servicediscovery.IService;
}

/** Once the alarms exist. */
export interface ServiceWithMonitoring extends ServiceWithNetwork {
  /** The composite health alarm, when the service has alarms. */
  readonly healthAlarm?: cloudwatch.IAlarm;
  readonly healthAlarmName?: string;
  /** Every part monitoring received, in order: what the features handed it. */
  readonly parts: readonly ServicePart[];
}

/** What a feature sets on the task definition when it is created. */
export interface TaskDefinitionContribution {
  readonly enableFaultInjection?: boolean;
  readonly pidMode?: ecs.PidMode;
}

/** What a feature sets on the application container when it is created. */
export interface AppContainerContribution {
  /** The app container's log driver: one feature at most sets it. */
  readonly logging?: ecs.LogDriver;
}

/**
 * A service's connection to a callee, as its mesh decided it: the composer applies each decision
 * (the environment variable, the security-group rules, the monitoring part) and hands the whole
 * to every feature's `connect`.
 */
export interface ServiceConnection {
  /** The URL the caller's app reaches the callee at. */
  readonly url: string;
  /**
   * Ports of the callee's tasks the caller's tasks must reach through security groups (one
   * rule each, in the caller's stack); empty on a data plane that admits callers otherwise.
   */
  readonly ingressPorts: number[];
  /** What fault injection cuts and slows: the callee as the caller's tasks reach it. */
  readonly faultTarget: { readonly ports: number[]; readonly hosts: string[] };
  /** What the caller's monitoring gets of the edge. */
  readonly part?: ServicePart;
}

/** One part of a service, run through the lifecycle. Every phase is optional. */
export interface ServiceFeature {
  /** Reports bad props with the service's own, before anything is created. */
  validate?(errors: PropErrors, unit: ServiceUnit): void;
  taskDefinition?(unit: ServiceUnit): TaskDefinitionContribution;
  appContainer?(unit: ServiceUnit): AppContainerContribution;
  /** Sidecars, environment, secrets, volumes. */
  useTask?(unit: ServiceWithTask): void;
  /** Resources bound to the Fargate service and its network. */
  useService?(unit: ServiceWithNetwork): void;
  /** Alarms, dashboard rows and signals, in request order. */
  parts?(unit: ServiceWithNetwork): ServicePart[];
  /** What needs the alarms (stop conditions, the platform's overview). */
  useMonitoring?(unit: ServiceWithMonitoring): void;
  /** This service now calls `callee` (its name and construct path), as the mesh connected them. */
  connect?(callee: { readonly name: string; readonly path: string }, connection: ServiceConnection): void;
}

/** One service in a mesh. */
export interface MeshService extends ServicePart {
  /** The URL callers reach this service at. */
  readonly endpoint: string;
  /** How long a request into this service may take, as the mesh resolved it. */
  readonly requestTimeout: Duration;
  /**
   * Ports of this service's tasks its callers' tasks reach through security groups: the composer
   * adds one rule per caller and port. Empty on a data plane that admits callers otherwise.
   */
  readonly ingressPorts: number[];
  /** What fault injection cuts and slows of this service, as its callers reach it. */
  readonly faultTarget: { readonly ports: number[]; readonly hosts: string[] };
  /**
   * Declares, on the caller's side, that this service calls `callee`: returns its decisions as
   * data (the URL the caller's app uses, the callee's ports to admit it on, what fault injection
   * cuts, what the caller's monitoring gets of the new edge), which the composer applies.
   */
  connect(callee: MeshService): ServiceConnection;
  /** How the data plane applies this service's retry policy to its callers, for the call-graph report. */
  readonly retriesEnforced: string;
  /** Sends `percent` of this service's traffic to `canary`. */
  routeCanary(canary: MeshService, percent: number): void;
}

/** How a service may be called, as its props describe it, independent of the data plane. */
export interface MeshDescription {
  readonly retryPolicy: RetryPolicy;
  /** As given by the user, undefined for the mesh's default. */
  readonly requestTimeout?: Duration;
  readonly idleTimeout?: Duration;
  /** The API's integration timeout as given, when the service has an API. */
  readonly apiTimeout?: Duration;
  readonly outlierDetection?: OutlierDetection;
  readonly connectionPool?: ConnectionPool;
}

/** What a mesh binds to on its platform: the network its services run in. */
export interface PlatformMeshContext {
  readonly logs: LogSettings;
  readonly vpc: ec2.IVpc;
  /** The subnets of the services' tasks. */
  readonly subnets: ec2.SubnetSelection;
  readonly namespace: servicediscovery.IPrivateDnsNamespace;
}

/** A mesh as bound to one platform: what services bind to. */
export interface PlatformMesh {
  /** The most tasks of a callee a caller's proxy reaches, when the data plane has such a limit. */
  readonly maxTasksResolved?: number;
  /** The Cloud Map instances each task of a service registers (counted against the namespace's quota). */
  readonly registrationsPerTask: number;
  bindService(scope: Construct, unit: ServiceWithNetwork, description: MeshDescription): MeshService;
  /**
   * The mesh's widgets on the platform's overview: every service of the cluster at once (Metrics
   * Insights queries grouped by service, one query a widget), never a service by name, so that
   * adding a service never changes the platform's stack.
   */
  overviewWidgets(clusterName: string): cloudwatch.IWidget[];
  /** What services of other apps need to configure their data plane alike (the platform's contract). */
  contract(): MeshContract;
  /** A service of another app on this platform, as its contract describes it: a callee only. */
  importService(scope: Construct, contract: ServiceContract, namespaceName: string): MeshService;
}

/** The platform's services to its microservices: never reachable by users. */
export interface PlatformServices {
  /** The name the platform publishes its contract under, and its services theirs. */
  readonly platformName: string;
  /** What the platform's services of this app use of the quotas they share. */
  readonly quotas: QuotaCounter;
  readonly mesh: PlatformMesh;
  readonly auth: PlatformAuthorizer;
  readonly apiDomainName?: apigwv2.IDomainName;
  /** The VPC link of the services' APIs and its security group: created by the first call. */
  createVpcLinkOnce(): { readonly vpcLink: apigwv2.IVpcLink; readonly securityGroup: ec2.ISecurityGroup };
  /** API Gateway's account logging setting for REST stages: created by the first call, unless turned off. */
  createApiGatewayAccountOnce(): IConstruct | undefined;
  /** Claims a discovery name on the platform; a second service with it is refused. */
  claimServiceName(name: string, servicePath: string): void;
  /** Retention and encryption of every log group of the platform's services. */
  readonly logs: LogSettings;
  /** Whether the cluster publishes Container Insights' task counts: undefined for a cluster the platform did not create. */
  readonly containerInsights?: boolean;
  /** The X-Ray resource policy SNS needs for actively traced topics: created by the first call. */
  createSnsTracingPolicyOnce(): IConstruct;
}
