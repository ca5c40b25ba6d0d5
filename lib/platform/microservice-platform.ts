import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct, IConstruct } from 'constructs';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ApiAuthorizer } from '../auth/api-authorizer';
import { ServiceMesh } from '../mesh/service-mesh';
import { PlatformMonitoring } from '../monitoring/platform-monitoring';
import type { PlatformAuthorizer } from '../private/binding';
import { registerPlatformServices } from '../private/platform-services';
import { PropErrors } from '../private/validation';
import { createLogGroup, type LogSettings } from '../private/log-groups';
import { createApiGatewayAccount } from './api-gateway-account';
import { ImportedPlatform } from './imported-platform';
import type { IMicroservicePlatform, MicroservicePlatformProps } from './platform-props';
import { claimPlatformName, defaultPlatformName, publishPlatformContract } from './platform-contract';
import { createPlatformVpc } from './platform-vpc';
import { checkPlatformName } from '../private/contract-names';
import { QuotaCounter } from '../private/quotas';
import { createSnsTracingPolicy } from './sns-tracing-policy';
import { produceWeakReferences } from '../private/weak-references';


/** Defaults of {@link MicroservicePlatformProps}. */
const DEFAULTS = {
  natGateways: 2,
  containerInsights: ecs.ContainerInsights.ENABLED,
  namespaceName: 'services.internal',
} as const;

/** An address SNS email subscriptions take: a dot-atom local part (RFC 5322 3.4.1), a domain of DNS labels. */
const EMAIL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * What many microservices share: the VPC, the ECS cluster and the Cloud Map namespace.
 *
 * Services in other stacks reference the platform; the platform never references them, so any
 * service stack can be deployed or deleted on its own.
 */
export class MicroservicePlatform extends Construct implements IMicroservicePlatform {
  /**
   * The platform a `Microservice` without a `platform` prop uses: one per stack, created on first
   * use with the defaults, at the stack root with the id `MicroservicePlatform`.
   */
  public static defaultFor(scope: IConstruct): MicroservicePlatform {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(DEFAULT_PLATFORM_ID);
    if (existing instanceof MicroservicePlatform) return existing;
    if (existing) {
      throw new Error(`Cannot create the default platform: ${stack.node.path} already has a child '${DEFAULT_PLATFORM_ID}' that is not a MicroservicePlatform`);
    }
    return new MicroservicePlatform(stack, DEFAULT_PLATFORM_ID);
  }

  /**
   * A platform of another CDK app, by the name it publishes its contract under (`platformName`):
   * the CDK CLI looks the contract up in the stack's account and region (the stack needs an
   * explicit `env`) and caches it in `cdk.context.json`, as `Vpc.fromLookup` does. Nothing is
   * created in the platform's stack. In CI without AWS credentials, give the app the context
   * `MicroserviceTesting.lookupContext()` derives from the platform app's synthesized assembly.
   */
  public static fromPlatformName(scope: Construct, id: string, platformName: string): IMicroservicePlatform {
    return new ImportedPlatform(scope, id, platformName);
  }

  public readonly vpc: ec2.IVpc;
  public readonly cluster: ecs.ICluster;
  public readonly namespace: servicediscovery.IPrivateDnsNamespace;
  public readonly serviceSubnets: ec2.SubnetSelection;
  /** The name the platform publishes its contract under: services of other apps join it by this name. */
  public readonly platformName: string;
  /** The flow log of the VPC this platform created; undefined for a user's VPC or cluster. */
  public readonly flowLog?: ec2.FlowLog;
  public readonly auth: ApiAuthorizer;
  public readonly mesh: ServiceMesh;
  /** The custom domain on which each service's API is mapped under its base path, with `apiDomain`. */
  public readonly apiDomainName?: apigwv2.DomainName;
  /** Alarm topics, their key and the overview dashboard. */
  public readonly monitoring: PlatformMonitoring;
  private _apiGatewayAccount?: apigateway.CfnAccount;
  private _snsTracingPolicy?: IConstruct;
  private _vpcLink?: apigwv2.VpcLink;
  private _vpcLinkSecurityGroup?: ec2.SecurityGroup;
  private readonly manageApiGatewayAccount: boolean;
  private readonly boundAuth: PlatformAuthorizer;
  private readonly logSettings: LogSettings;
  /** The services on this platform, by discovery name. */
  private readonly serviceNames = new Map<string, string>();

  constructor(scope: Construct, id: string, props: MicroservicePlatformProps = {}) {
    super(scope, id);
    // Services in other stacks reference the platform weakly, whatever the app's flags.
    produceWeakReferences(this);
    this.manageApiGatewayAccount = props.manageApiGatewayAccount ?? true;
    this.logSettings = { retention: props.logs?.retention, encryption: props.logs?.encryption ?? true };

    const errors = new PropErrors(`MicroservicePlatform '${this.node.path}'`);
    errors.exclusive('vpc', props.vpc, 'cluster', props.cluster, "the cluster's VPC is used");
    errors.exclusive('vpc', props.vpc, 'natGateways', props.natGateways, 'natGateways applies to a new VPC only');
    errors.exclusive('cluster', props.cluster, 'natGateways', props.natGateways, 'natGateways applies to a new VPC only');
    errors.exclusive('vpc', props.vpc, 'flowLogRetention', props.flowLogRetention, 'flow logs are created for a new VPC only');
    errors.exclusive('cluster', props.cluster, 'flowLogRetention', props.flowLogRetention, 'flow logs are created for a new VPC only');
    errors.exclusive('cluster', props.cluster, 'containerInsights', props.containerInsights, 'containerInsights applies to a new cluster only');
    errors.exclusive('namespace', props.namespace, 'namespaceName', props.namespaceName);
    errors.integer('natGateways', props.natGateways, 1, 2);
    errors.retention('flowLogRetention', props.flowLogRetention);
    errors.retention('logs.retention', props.logs?.retention);
    this.platformName = props.platformName ?? defaultPlatformName(this);
    checkPlatformName(errors, 'platformName', this.platformName);
    claimPlatformName(errors, this, this.platformName);
    errors.text('namespaceName', props.namespaceName, DNS_NAME, 'a lower-case DNS name such as "services.internal"');
    (props.alarmEmails ?? []).forEach((e, i) => errors.text(`alarmEmails[${i}]`, e, EMAIL, 'one email address such as "oncall@example.com" (no list, no display name)'));
    if (props.apiDomain) {
      errors.text('apiDomain.domainName', props.apiDomain.domainName, DNS_NAME, 'a lower-case DNS name such as "api.example.com"');
    }
    errors.throwIfAny();

    this.serviceSubnets = props.serviceSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    if (props.cluster) {
      this.cluster = props.cluster;
      this.vpc = props.cluster.vpc;
      if (props.cluster instanceof ecs.Cluster) props.cluster.enableFargateCapacityProviders();
    } else {
      if (props.vpc) {
        this.vpc = props.vpc;
      } else {
        const created = createPlatformVpc(this, {
          natGateways: props.natGateways ?? DEFAULTS.natGateways, flowLogRetention: props.flowLogRetention, logs: this.logSettings,
        });
        this.vpc = created.vpc;
        this.flowLog = created.flowLog;
      }
      this.cluster = new ecs.Cluster(this, 'Cluster', {
        vpc: this.vpc,
        containerInsightsV2: props.containerInsights ?? DEFAULTS.containerInsights,
        enableFargateCapacityProviders: true,
        // Every ECS Exec session of a service that turns it on (`enableExecuteCommand`) is logged
        // (commands and output) to a log group of the platform's, kept and encrypted as the others.
        executeCommandConfiguration: {
          logging: ecs.ExecuteCommandLogging.OVERRIDE,
          logConfiguration: {
            cloudWatchLogGroup: createLogGroup(this, 'ExecuteCommandLogs', this.logSettings, {
              defaultRetention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN,
            }),
            cloudWatchEncryptionEnabled: this.logSettings.encryption,
          },
        },
      });
    }

    this.namespace = props.namespace ?? new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      vpc: this.vpc,
      name: props.namespaceName ?? DEFAULTS.namespaceName,
      description: `Service discovery for the microservices of ${this.node.path}`,
    });

    this.auth = props.auth ?? ApiAuthorizer.cognito();
    this.mesh = props.mesh ?? ServiceMesh.serviceConnect();
    this.monitoring = new PlatformMonitoring(this, 'Monitoring', { alarmEmails: props.alarmEmails ?? [], cluster: this.cluster });
    const quotas = new QuotaCounter(this, this.platformName);
    this.boundAuth = this.auth._bindPlatform(this, {
      onUserPoolCreated: (pool) => this.monitoring._monitorUserPool(pool),
      onResourceServerCreated: () => quotas.count('cognitoResourceServers', 'the platform\'s user pool'),
    });
    quotas.count('eventBridgeRules', 'the account\'s default event bus'); // the platform's failed-deployment rule

    if (props.apiDomain) {
      this.apiDomainName = new apigwv2.DomainName(this, 'ApiDomain', {
        domainName: props.apiDomain.domainName,
        certificate: props.apiDomain.certificate,
        endpointType: apigwv2.EndpointType.REGIONAL,
        securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
      });
      if (props.apiDomain.hostedZone) {
        new route53.ARecord(this, 'ApiDomainRecord', {
          zone: props.apiDomain.hostedZone,
          recordName: props.apiDomain.domainName,
          target: route53.RecordTarget.fromAlias(new route53targets.ApiGatewayv2DomainProperties(
            this.apiDomainName.regionalDomainName, this.apiDomainName.regionalHostedZoneId)),
        });
      }
    }

    const mesh = this.mesh._bindPlatform(this, { logs: this.logSettings, vpc: this.vpc, subnets: this.serviceSubnets, namespace: this.namespace });
    this.monitoring._addMeshWidgets(mesh.overviewWidgets(this.cluster.clusterName));
    const containerInsights = props.cluster ? undefined : (props.containerInsights ?? DEFAULTS.containerInsights) !== ecs.ContainerInsights.DISABLED;
    registerPlatformServices(this, {
      platformName: this.platformName,
      quotas,
      mesh,
      auth: this.boundAuth,
      apiDomainName: this.apiDomainName,
      createVpcLinkOnce: () => this.createVpcLinkOnce(),
      createApiGatewayAccountOnce: () => this.createApiGatewayAccountOnce(),
      claimServiceName: (name, servicePath) => this.claimServiceName(name, servicePath),
      logs: this.logSettings,
      containerInsights,
      createSnsTracingPolicyOnce: () => (this._snsTracingPolicy ??= createSnsTracingPolicy(this)),
    });
    // The VPC link is created with the platform, not by the first service with an API: adding,
    // renaming or removing a service never changes the platform's stack. Two account-wide settings
    // stay with the first service that needs them (docs/scale.md): API Gateway's logging role (one
    // per account and region) and the X-Ray policy for traced topics (five per account).
    const { vpcLink, securityGroup } = this.createVpcLinkOnce();
    publishPlatformContract(this, {
      platformName: this.platformName, vpc: this.vpc, serviceSubnets: this.serviceSubnets, cluster: this.cluster, containerInsights,
      namespace: this.namespace, alarmTopic: this.alarmTopic, warningTopic: this.warningTopic, topicKeyArn: this.monitoring.key.keyArn,
      mesh, auth: this.boundAuth, vpcLink, vpcLinkSecurityGroup: securityGroup, apiDomainName: this.apiDomainName?.name, logs: this.logSettings,
      accountSettings: () => ({ apiGatewayCloudWatchRole: this._apiGatewayAccount !== undefined, snsTracingPolicy: this._snsTracingPolicy !== undefined }),
    });
  }

  public get alarmTopic(): sns.ITopic {
    return this.monitoring.alarmTopic;
  }

  public get warningTopic(): sns.ITopic {
    return this.monitoring.warningTopic;
  }

  /** The overview dashboard: every service of the cluster, without naming one. */
  public get overviewDashboard(): cloudwatch.Dashboard {
    return this.monitoring.overviewDashboard;
  }

  /** The authorizer's user pool: the one brought, or the one created once a service needed it. */
  public get userPool(): cognito.IUserPool | undefined {
    return this.boundAuth.userPool;
  }

  /** The OAuth token endpoint of the user pool the platform created, once created. */
  public get tokenEndpoint(): string | undefined {
    return this.boundAuth.tokenEndpoint;
  }

  /** The VPC link of the services' APIs, once a service with an API created it. */
  public get vpcLink(): apigwv2.IVpcLink | undefined {
    return this._vpcLink;
  }

  /** The security group of the VPC link, once created. */
  public get vpcLinkSecurityGroup(): ec2.ISecurityGroup | undefined {
    return this._vpcLinkSecurityGroup;
  }

  /** API Gateway's account setting, once a REST API needed it. */
  public get apiGatewayAccount(): apigateway.CfnAccount | undefined {
    return this._apiGatewayAccount;
  }

  /** One discovery name, one service: the namespace, the ECS cluster and the overview each know a service by it. */
  private claimServiceName(name: string, servicePath: string): void {
    const owner = this.serviceNames.get(name);
    if (owner !== undefined) {
      const errors = new PropErrors(`Microservice '${servicePath}'`);
      errors.add(`discoveryName must be unique on its platform (the namespace, the ECS cluster and the overview name each service by it), got ${JSON.stringify(name)}, which ${owner} already has`);
      errors.throwIfAny();
    }
    this.serviceNames.set(name, servicePath);
  }

  /** The VPC link of the services' APIs, in the service subnets: created by the first call. */
  private createVpcLinkOnce(): { vpcLink: apigwv2.IVpcLink; securityGroup: ec2.ISecurityGroup } {
    if (!this._vpcLink || !this._vpcLinkSecurityGroup) {
      this._vpcLinkSecurityGroup = new ec2.SecurityGroup(this, 'VpcLinkSecurityGroup', {
        vpc: this.vpc,
        description: `API Gateway VPC link of ${this.node.path}: outbound to service tasks only`,
        allowAllOutbound: true,
      });
      this._vpcLink = new apigwv2.VpcLink(this, 'VpcLink', {
        vpc: this.vpc,
        subnets: this.serviceSubnets,
        securityGroups: [this._vpcLinkSecurityGroup],
      });
    }
    return { vpcLink: this._vpcLink, securityGroup: this._vpcLinkSecurityGroup };
  }

  /** API Gateway's account logging setting for REST stages: created by the first call, unless the platform was told the account has one. */
  private createApiGatewayAccountOnce(): IConstruct | undefined {
    if (!this._apiGatewayAccount && this.manageApiGatewayAccount) this._apiGatewayAccount = createApiGatewayAccount(this);
    return this._apiGatewayAccount;
  }
}

const DEFAULT_PLATFORM_ID = 'MicroservicePlatform';
