import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import type { ApiAuthorizer } from '../auth/api-authorizer';
import type { ServiceMesh } from '../mesh/service-mesh';
import type { IConstruct } from 'constructs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { PlatformLogOptions } from './platform-log-options';

/**
 * A platform services run on, as its users see it: read-only. What services need besides (the VPC
 * link, the authorizer's user pool, the overview dashboard) they reach through the platform
 * itself, never through this interface.
 */
export interface IMicroservicePlatform extends IConstruct {
  /** The VPC the services run in. */
  readonly vpc: ec2.IVpc;
  /** The ECS cluster the services run in. */
  readonly cluster: ecs.ICluster;
  /** The private DNS namespace services register in. */
  readonly namespace: servicediscovery.IPrivateDnsNamespace;
  /** The subnets service tasks are placed in. */
  readonly serviceSubnets: ec2.SubnetSelection;
  /** How every service's API authenticates callers. */
  readonly auth: ApiAuthorizer;
  /** The data plane between services. */
  readonly mesh: ServiceMesh;
  /** Critical alarms: each service's health alarm and failed deployments publish here. */
  readonly alarmTopic: sns.ITopic;
  /** Warnings publish here. */
  readonly warningTopic: sns.ITopic;
}

/** A custom domain for the services' APIs: one host, one base path per service. */
export interface ApiDomainOptions {
  /** The domain name, `api.example.com`. */
  readonly domainName: string;
  /** A regional ACM certificate for it, in the platform's region. */
  readonly certificate: acm.ICertificate;
  /**
   * A hosted zone in which to create the alias record of the domain.
   *
   * @default - no record: point the name at `apiDomainName.regionalDomainName` yourself
   */
  readonly hostedZone?: route53.IHostedZone;
}

/** Properties of a {@link MicroservicePlatform}. */
export interface MicroservicePlatformProps {
  /**
   * The name the platform publishes its contract under, an SSM parameter
   * `/cdk-microservice/<platformName>/platform` in its account and region: services of other CDK
   * apps join the platform by this name (`MicroservicePlatform.fromPlatformName()`), and each
   * service publishes its own contract under `/cdk-microservice/<platformName>/services/<name>`.
   * Letters, digits, `_`, `.` and `-`; unique per account and region.
   *
   * @default - the platform's stack name
   */
  readonly platformName?: string;

  /**
   * An existing VPC. It must have private subnets with egress (or set `serviceSubnets`).
   * Mutually exclusive with `cluster` (a cluster brings its VPC) and `natGateways`.
   *
   * @default - a new VPC: 2 AZs, a public and a private-with-egress subnet per AZ, flow logs on
   */
  readonly vpc?: ec2.IVpc;

  /**
   * NAT gateways of the new VPC: 1 to 2. One per AZ keeps egress up when an AZ fails; 1 halves
   * the NAT cost for non-production platforms.
   *
   * @default 2
   */
  readonly natGateways?: number;

  /**
   * Retention of the new VPC's flow logs (all traffic, to CloudWatch Logs).
   *
   * @default - `logs.retention`, else logs.RetentionDays.THREE_MONTHS
   */
  readonly flowLogRetention?: logs.RetentionDays;

  /**
   * An existing ECS cluster. Its VPC is used. The Fargate and Fargate Spot capacity providers
   * must be associated with it: services place tasks through a capacity provider strategy, so
   * that turning Fargate Spot on or off later is an in-place update. An `ecs.Cluster` created in
   * the same app is given them; an imported cluster must already have them.
   *
   * @default - a new cluster with Container Insights and the Fargate capacity providers
   */
  readonly cluster?: ecs.ICluster;

  /**
   * Container Insights level of the new cluster.
   *
   * @default ecs.ContainerInsights.ENABLED
   */
  readonly containerInsights?: ecs.ContainerInsights;

  /**
   * An existing Cloud Map private DNS namespace in the platform's VPC. Mutually exclusive with `namespaceName`.
   *
   * @default - a new private DNS namespace named `namespaceName`
   */
  readonly namespace?: servicediscovery.IPrivateDnsNamespace;

  /**
   * Name of the new private DNS namespace in which services register (`orders.services.internal`).
   *
   * @default 'services.internal'
   */
  readonly namespaceName?: string;

  /**
   * The subnets service tasks are placed in.
   *
   * @default - { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }
   */
  readonly serviceSubnets?: ec2.SubnetSelection;

  /**
   * How every service's API authenticates callers. With `ApiAuthorizer.cognito()` and no pool of
   * yours, the platform creates its user pool with itself.
   *
   * @default ApiAuthorizer.cognito()
   */
  readonly auth?: ApiAuthorizer;

  /**
   * Email addresses subscribed to the alarm topic (critical: each service's health alarm, failed
   * deployments) and the warning topic. Add paging integrations to `alarmTopic` yourself.
   *
   * @default - no subscriptions
   */
  readonly alarmEmails?: string[];

  /**
   * The data plane between services: retries, timeouts, service-to-service discovery.
   *
   * @default ServiceMesh.serviceConnect()
   */
  readonly mesh?: ServiceMesh;

  /**
   * A custom domain for the services' APIs; each service is mapped under its base path and its
   * `execute-api` endpoint is turned off.
   *
   * @default - no custom domain: each service's API has its own `execute-api` URL
   */
  readonly apiDomain?: ApiDomainOptions;

  /**
   * Whether the platform sets API Gateway's account-wide CloudWatch Logs role (one per account
   * and region) when a service has a REST API: REST stages cannot log without it. Turn it off
   * when the account's owner already manages that setting, and on every platform but one of an
   * account and region. The setting and its role are kept when the platform is deleted.
   *
   * @default true
   */
  readonly manageApiGatewayAccount?: boolean;

  /**
   * Retention and encryption of every log group the library creates, on the platform and in
   * each of its services' stacks: flow logs, application logs, API access logs, the JWT
   * authorizer's log, the Envoy metrics log. A log group's own retention prop still wins.
   *
   * @default - each log group's default retention; each encrypted with its stack's KMS key
   */
  readonly logs?: PlatformLogOptions;
}
