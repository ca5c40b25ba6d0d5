import { Duration } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct, IConstruct } from 'constructs';
import type { AuthContract } from './contract';
import type { LogSettings } from './log-groups';
import type { PropErrors } from './validation';
import type { JwtAuthorizerFunction } from '../auth/jwt-authorizer-function';
import type { MicroserviceAlarmOptions } from '../monitoring/alarm-options';

// The internal seams between a service and its parts. A strategy (mesh, authorizer, cache,
// integration) binds through one internal method, creates its resources in a scope named for it,
// and hands back one of these: nothing outside a strategy's folder asks which kind it is.

/** The groups of `alarms`, one per layer of the service. */
type AlarmGroups = Omit<MicroserviceAlarmOptions, 'enabled' | 'actions' | 'naming'>;
/** The key of a default alarm in the catalog, of its override in `alarms` and in `ServiceMonitoring.alarms`: `<layer>.<name>` (`api.latencyP99`). */
export type AlarmKey = { [L in keyof AlarmGroups]-?: `${L}.${Extract<keyof NonNullable<AlarmGroups[L]>, string>}` }[keyof AlarmGroups];

/** A default alarm as the part that measures it supplies it: the catalog holds the rest. */
export interface AlarmSource {
  readonly key: AlarmKey;
  /** For an entry each data plane measures its own way (`mesh.serverErrors`): the plane this part is (`serviceConnect`, `envoy`). */
  readonly variant?: string;
  /** The metric, at the given period (the catalog entry's). */
  metric(period: Duration): cloudwatch.IMetric;
  /** Converts a threshold in the catalog's unit (a percent of a limit, say) to the metric's unit. */
  readonly toMetricUnit?: (threshold: number) => number;
  /** For an entry a part has several of (one per backend): appended to the alarm's id (`Payments`). */
  readonly idSuffix?: string;
  /** Appended to the entry's description (`to payments`). */
  readonly whatSuffix?: string;
  /** The threshold in the catalog's unit when the part knows a better one than the catalog's (an override still wins). */
  readonly threshold?: number;
}

/** Traffic, errors and latency of the requests into a service, where a part sees them. */
export interface GoldenSignals {
  readonly traffic: cloudwatch.IMetric[];
  readonly errors: cloudwatch.IMetric[];
  readonly latency: cloudwatch.IMetric[];
}

/** What every part of a service hands monitoring: its alarms, its dashboard rows, its signals. */
export interface ServicePart {
  /** The default alarms this part contributes (catalog keys). */
  readonly alarms?: AlarmSource[];
  /** Rows of the service dashboard, in request order; read each time the widgets are asked for. */
  dashboardRows?(): cloudwatch.IWidget[][];
  /** The golden signals, when this part sees the requests into the service. */
  readonly signals?: GoldenSignals;
  /** A cache the fault-injection experiments can cut, when this part is one. */
  readonly cacheFaultTarget?: CacheFaultTarget;
}

/** A container that runs beside the application in its task. */
export interface SidecarOptions {
  /** Construct id of the container definition. */
  readonly id: string;
  readonly containerName: string;
  readonly image: ecs.ContainerImage;
  /** CPU units reserved for it: counted against the task size. */
  readonly cpu: number;
  /** Memory reserved for it, MiB: counted against the task size. */
  readonly memoryReservationMiB: number;
  /** Its memory hard limit, MiB: ECS stops it beyond. */
  readonly memoryLimitMiB: number;
  readonly essential: boolean;
  readonly entryPoint?: string[];
  readonly command?: string[];
  readonly user?: string;
  readonly environment?: { [name: string]: string };
  readonly healthCheck?: ecs.HealthCheck;
  readonly portMappings?: ecs.PortMapping[];
  readonly ulimits?: ecs.Ulimit[];
  readonly stopTimeout?: Duration;
  /**
   * Whether its root filesystem is read-only.
   *
   * @default true
   */
  readonly readonlyRootFilesystem?: boolean;
  /** The app container starts once this sidecar has started (START) or is healthy (HEALTHY). */
  readonly appStartsAfter: ecs.ContainerDependencyCondition;
  /** Environment the app container receives. */
  readonly appEnvironment?: { [name: string]: string };
  /** Ports it listens on inside the task (the app reaches them on localhost). */
  readonly listenPorts?: number[];
  /** The option that sets those ports, named in a clash error (`ServiceMesh.envoy({ egressPortBase: 4310 })`). */
  readonly portsProp?: string;
  /**
   * Makes it the task's FireLens log router (aws-cdk-lib's `taskDefinition.addFirelensLogRouter`),
   * with this configuration: counted, ordered and port-checked like every sidecar.
   *
   * @default - an ordinary container
   */
  readonly firelensConfig?: ecs.FirelensConfig;
}

/** The service's task as its parts see it. */
export interface ServiceTask {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The application container. */
  readonly container: ecs.ContainerDefinition;
  readonly logGroup: logs.ILogGroup;
  /** How every log group of the service is kept: its parts' log groups too. */
  readonly logs: LogSettings;
  /** Adds a sidecar: counted against the task size, started before the app, logging to the service's log group. */
  addSidecar(options: SidecarOptions): ecs.ContainerDefinition;
  /** Adds a plain environment variable to the app container; one the user's `environment` sets keeps the user's value. */
  addEnvironment(name: string, value: string): void;
  /** Adds a secret to the app container. */
  addSecret(name: string, secret: ecs.Secret): void;
  /** Whether every container of the task but `except` has a read-only root filesystem (call it once all are added). */
  othersReadOnly(except: string): boolean;
  /** Every port a container of the task listens on: the app's and its sidecars'. */
  listenPorts(): number[];
}

/** A route as an authorizer judges it. */
export interface AuthorizedRoute {
  /** The prop path of the route (`api.routes[0]`). */
  readonly prop: string;
  readonly public: boolean;
  readonly scopes: string[];
}

/** A consumer as an authorizer judges it. */
export interface AuthorizedConsumer {
  readonly prop: string;
  readonly name: string;
  /** Undefined when the consumer declares none (REST consumers with an API key only). */
  readonly scopes?: string[];
}

/** What an authorizer checks of a service's API before anything is created. */
export interface ApiAuthValidation {
  /** The API prop's name (`api` or `restApi`). */
  readonly apiProp: string;
  readonly rest: boolean;
  readonly serviceName: string;
  readonly routes: AuthorizedRoute[];
  readonly consumers: AuthorizedConsumer[];
}

/** What a service's API asks of the platform's authorizer. */
export interface ApiAuthRequest {
  /** The service's resource server identifier and scope prefix (`orders` for `orders/read`). */
  readonly serviceName: string;
  /** Every scope the routes require. */
  readonly scopes: string[];
  /** Machine callers with scopes: one app client each, where the authorizer issues them. */
  readonly consumers: Array<{ readonly name: string; readonly scopes: string[] }>;
}

/** What a REST API asks besides. */
export interface RestApiAuthRequest extends ApiAuthRequest {
  /** Scopes (any of) each authorized method requires, by `<METHOD> <resource path>`. */
  readonly methodScopes: { [methodKey: string]: string[] };
  readonly resultsCacheTtl: Duration;
  /** How the authorizer's log group is kept. */
  readonly logs: LogSettings;
}

/** Acknowledgement a strategy asks to be put on each of a set of constructs. */
export interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

/** What an authorizer gives an HTTP API. */
export interface HttpApiAuthorization {
  readonly authorizer: apigwv2.IHttpRouteAuthorizer;
  readonly resourceServer?: cognito.UserPoolResourceServer;
  readonly consumerClients: { [name: string]: cognito.UserPoolClient };
}

/** What an authorizer gives a REST API. */
export interface RestApiAuthorization {
  readonly authorizer: apigateway.IAuthorizer;
  readonly function?: JwtAuthorizerFunction;
  readonly resourceServer?: cognito.UserPoolResourceServer;
  readonly consumerClients: { [name: string]: cognito.UserPoolClient };
  /** Whether API Gateway checks each method's scopes itself (authorizationScopes). */
  readonly checksScopesNatively: boolean;
  /** Acknowledgements for every authorized method. */
  readonly methodAcknowledgements: Acknowledgement[];
}

/** An authorizer as bound to one platform: it keeps that platform's state (a user pool). */
/** What an authorizer bound to a platform tells it. */
export interface PlatformAuthHooks {
  /** The platform's user pool was created (the platform alarms on it). */
  onUserPoolCreated(pool: cognito.IUserPool): void;
  /** A service's resource server was created in the platform's pool (counted against its quota). */
  onResourceServerCreated(): void;
}

export interface PlatformAuthorizer {
  /** The user pool, once created or when brought; no side effect. */
  readonly userPool?: cognito.IUserPool;
  /** The OAuth token endpoint of a user pool the platform created, once created. */
  readonly tokenEndpoint?: string;
  /** Reports what this authorizer cannot serve in a service's API. */
  validateApi(errors: PropErrors, api: ApiAuthValidation): void;
  authorizeHttpApi(scope: Construct, request: ApiAuthRequest): HttpApiAuthorization;
  authorizeRestApi(scope: Construct, request: RestApiAuthRequest): RestApiAuthorization;
  /** What services of other apps need to authorize their APIs alike (the platform's contract). */
  contract(): AuthContract;
}

/** What an API integration needs of the service. */
export interface IntegrationTarget {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly vpcLink: apigwv2.IVpcLink;
  readonly vpcLinkSecurityGroup: ec2.ISecurityGroup;
  readonly service: ecs.FargateService;
  readonly cloudMapService: servicediscovery.IService;
  readonly taskSecurityGroup: ec2.ISecurityGroup;
  readonly containerPort: number;
}

/** What an integration gives an HTTP API. */
export interface HttpIntegrationBinding extends ServicePart {
  readonly integration: apigwv2.HttpRouteIntegration;
  readonly loadBalancer?: elbv2.ApplicationLoadBalancer;
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
}

/** What a service's API, of either flavour, needs of the service and the platform. */
export interface ApiWiring {
  readonly servicePath: string;
  /** The discovery name: scope prefix, resource server identifier, default base path. */
  readonly serviceName: string;
  readonly auth: PlatformAuthorizer;
  readonly domainName?: apigwv2.IDomainName;
  readonly target: IntegrationTarget;
  /** API Gateway's account logging setting (REST stages need it): created by the first call. */
  createApiGatewayAccountOnce(): IConstruct | undefined;
  /** How the API's log groups are kept. */
  readonly logs: LogSettings;
}

/** What fault-injection experiments can do to a service's cache. */
export interface CacheFaultTarget {
  /** Every port of the cache's endpoints. */
  readonly ports: number[];
  /** The cache's endpoints. */
  readonly hosts: string[];
  /** A Multi-AZ replication group FIS can cut an AZ's power of, or why there is none. */
  readonly azPower: { readonly replicationGroup?: elasticache.CfnReplicationGroup; readonly whyNot?: string };
}
