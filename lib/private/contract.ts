import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { ServiceProtocol } from '../mesh/resilience';
import type { GrpcRetryEvent, HttpRetryEvent, TcpRetryEvent } from '../mesh/retry-policy';
import { Check, decimal, dictionary, Fields, flag, integer, list, oneOf, optional, record, text, variant } from './contract-checks';
import { fmt, PropErrors } from './validation';

// The versioned contracts a platform and each of its services publish in SSM Parameter Store, so
// that a service of another CDK app can join the platform by its name and call or subscribe to a
// service of a third app by its name: their shapes, their reader, and the placeholders of a lookup
// not done yet (publishing and looking up: contract-parameter.ts). Durations are whole
// milliseconds; every ARN and id is the one the publisher's template resolves at deploy.
//
// Versioning: `schemaVersion` is "<major>.<minor>". A minor version only adds optional fields
// (older readers ignore them); anything else is a new major, which older readers refuse by name.

/** The version this library publishes. */
export const CONTRACT_SCHEMA_VERSION = '1.0';
/** The major versions this library reads. */
export const SUPPORTED_SCHEMA_MAJORS: readonly number[] = [1];

/** What a service of another app needs of a platform, published at `/cdk-microservice/<platformName>/platform`. */
export interface PlatformContract {
  readonly schemaVersion: string;
  readonly platformName: string;
  readonly vpcId: string;
  readonly vpcCidrBlock: string;
  /** The Availability Zones of the service subnets, one per subnet, in their order. */
  readonly availabilityZones: string[];
  /** The subnets service tasks are placed in (`serviceSubnets`, selected). */
  readonly serviceSubnetIds: string[];
  /** Their route tables, in the same order. */
  readonly serviceSubnetRouteTableIds: string[];
  readonly clusterName: string;
  readonly clusterArn: string;
  /** Whether the cluster publishes Container Insights' task counts; absent for a cluster the platform did not create. */
  readonly containerInsights?: boolean;
  readonly namespaceName: string;
  readonly namespaceId: string;
  readonly namespaceArn: string;
  /** Critical alarms publish here. */
  readonly alarmTopicArn: string;
  /** Warnings publish here. */
  readonly warningTopicArn: string;
  /** The KMS key both alarm topics are encrypted with (publishers need kms:GenerateDataKey and kms:Decrypt on it). */
  readonly topicKeyArn: string;
  readonly mesh: MeshContract;
  readonly auth: AuthContract;
  /** The VPC link of the services' APIs; absent when the platform has none. */
  readonly vpcLink?: VpcLinkContract;
  /** The custom domain every service's API is mapped on under its base path, if any. */
  readonly apiDomainName?: string;
  readonly logs: LogContract;
  readonly accountSettings: AccountSettingsContract;
}

/** The data plane every service of the platform configures alike, named by `kind`. */
export type MeshContract = ServiceConnectMeshContract | EnvoyMeshContract;

/** `ServiceMesh.serviceConnect()`. */
export interface ServiceConnectMeshContract {
  readonly kind: 'serviceConnect';
  /** The AWS Private CA of the proxies' TLS certificates, when traffic between them is encrypted. */
  readonly tlsCertificateAuthorityArn?: string;
  readonly accessLogs: boolean;
}

/** `ServiceMesh.envoy()`, its options resolved: every caller's sidecar runs with them. */
export interface EnvoyMeshContract {
  readonly kind: 'envoy';
  /** The image of every sidecar: the platform's ECR copy by digest, or a pull-through cache's; absent for an image object of the user's, which no other app can pull. */
  readonly imageUri?: string;
  /** The repository of `imageUri` execution roles must be allowed to pull from, when it is the platform's copy. */
  readonly imageRepositoryArn?: string;
  /** The pull-through cache prefix execution roles may import the image through, with one. */
  readonly pullThroughCachePrefix?: string;
  readonly cpu: number;
  readonly memoryReservationMiB: number;
  readonly retryBudgetPercent: number;
  readonly minRetryConcurrency: number;
  readonly retryBackoffBaseMs: number;
  readonly retryBackoffMaxMs: number;
  readonly connectTimeoutMs: number;
  readonly egressPortBase: number;
  readonly accessLogs: boolean;
  readonly metricsCollectorImage: string;
}

/** How every service's API authenticates callers, named by `kind`. */
export type AuthContract = CognitoAuthContract | JwtAuthContract;

/** `ApiAuthorizer.cognito()`: the pool services create their resource servers and consumer clients in. */
export interface CognitoAuthContract {
  readonly kind: 'cognito';
  readonly userPoolId: string;
  readonly userPoolArn: string;
  /** The `iss` of its tokens: `https://cognito-idp.<region>.amazonaws.com/<user pool id>`. */
  readonly issuer: string;
  /** The OAuth token endpoint of the pool's domain, when the platform created the pool. */
  readonly tokenEndpoint?: string;
  /** Whether the platform created the pool (service scopes then live on resource servers it owns). */
  readonly platformOwnsPool: boolean;
  /** App clients whose tokens every service's API accepts besides its own consumers'. */
  readonly clientIds: string[];
  /** Lifetime of access tokens issued to service consumers. */
  readonly accessTokenValidityMs: number;
}

/** `ApiAuthorizer.jwt()`. */
export interface JwtAuthContract {
  readonly kind: 'jwt';
  readonly issuer: string;
  readonly audience: string[];
  readonly jwksUri?: string;
  readonly reservedConcurrency?: number;
  readonly maxTokenLifetimeMs?: number;
  readonly jwksCacheTtlMs?: number;
}

/** The VPC link of the services' APIs. */
export interface VpcLinkContract {
  readonly vpcLinkId: string;
  /** Its security group: each service admits it to its tasks. */
  readonly securityGroupId: string;
}

/** Retention and encryption of every log group of the platform's services. */
export interface LogContract {
  /** Days, a `logs.RetentionDays` value; absent: each log group's default. */
  readonly retentionDays?: number;
  readonly encryption: boolean;
}

/** Account-wide settings (one per account and region) the platform made, which services rely on. */
export interface AccountSettingsContract {
  /** API Gateway's CloudWatch Logs role is set: REST stages may log. */
  readonly apiGatewayCloudWatchRole: boolean;
  /** X-Ray's resource policy for SNS is set: topics may use active tracing. */
  readonly snsTracingPolicy: boolean;
}

/** What a caller or subscriber needs of a service, published at `/cdk-microservice/<platformName>/services/<serviceName>`. */
export interface ServiceContract {
  readonly schemaVersion: string;
  readonly platformName: string;
  /** Its discovery name. */
  readonly serviceName: string;
  readonly port: number;
  /** A `ServiceProtocol` value. */
  readonly protocol: 'http' | 'http2' | 'grpc';
  /** How callers reach it through the mesh (`http://orders:8080` on Service Connect, the Cloud Map name on Envoy). */
  readonly endpoint: string;
  readonly retryPolicy: RetryPolicyContract;
  readonly timeouts: TimeoutsContract;
  readonly outlierDetection?: OutlierDetectionContract;
  readonly connectionPool?: ConnectionPoolContract;
  /** The most tasks it scales to (a caller's Envoy sidecar resolves at most 8). */
  readonly maxCapacity: number;
  /** Its topics by id (`OrderPlaced`). */
  readonly topics: { readonly [topicId: string]: TopicContract };
  /** Its identity: the task role. */
  readonly taskRoleArn: string;
  /** The security group of its tasks: callers are admitted to it. */
  readonly securityGroupId: string;
}

/** `RetryPolicy`, its per-try timeout in `timeouts.perTryMs`. */
export interface RetryPolicyContract {
  readonly protocol: 'http' | 'grpc' | 'none';
  readonly maxRetries: number;
  readonly httpRetryEvents: string[];
  readonly tcpRetryEvents: string[];
  readonly grpcRetryEvents: string[];
}

export interface TimeoutsContract {
  /** The whole request, every attempt included. */
  readonly requestMs: number;
  readonly idleMs?: number;
  /** Each attempt; absent without retries. */
  readonly perTryMs?: number;
}

export interface OutlierDetectionContract {
  readonly maxServerErrors: number;
  readonly intervalMs: number;
  readonly baseEjectionDurationMs: number;
  readonly maxEjectionPercent: number;
}

export interface ConnectionPoolContract {
  readonly maxConnections: number;
  readonly maxPendingRequests?: number;
  readonly maxRequests?: number;
}

export interface TopicContract {
  readonly topicArn: string;
  readonly topicName: string;
  readonly fifo: boolean;
  /** The KMS key the topic is encrypted with, if any. */
  readonly keyArn?: string;
}

/** The contract kinds, by the name `parseContract` and `lookupContract` take. */
export interface ContractKinds {
  readonly platform: PlatformContract;
  readonly service: ServiceContract;
}
export type ContractKind = keyof ContractKinds;

/** Where a placeholder contract's ARNs point: the looking-up stack's account and region. */
export interface PlaceholderEnvironment {
  readonly account: string;
  readonly region: string;
}

// ---- Shapes, as the reader checks them --------------------------------------------------------

// The values of the library's enums, typed by them (test/platform/contract.test.ts holds the lists
// whole): this module imports only types from other folders, so it may move to private/.
export const PROTOCOLS: readonly `${ServiceProtocol}`[] = ['http', 'http2', 'grpc'];
export const HTTP_RETRY_EVENTS: readonly `${HttpRetryEvent}`[] = ['server-error', 'gateway-error', 'client-error', 'stream-error'];
export const TCP_RETRY_EVENTS: readonly `${TcpRetryEvent}`[] = ['connection-error'];
export const GRPC_RETRY_EVENTS: readonly `${GrpcRetryEvent}`[] = ['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'];

const MAX_MS = 365 * 24 * 3_600_000;
const ms = (min = 1) => integer(min, MAX_MS);
const events = (values: readonly string[]) => list(oneOf(values));
const arn = () => text(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:\S+$/, 'an ARN');
const PLATFORM: Fields = {
  schemaVersion: text(), platformName: text(), vpcId: text(), vpcCidrBlock: text(),
  availabilityZones: list(text(), 1), serviceSubnetIds: list(text(), 1), serviceSubnetRouteTableIds: list(text(), 1),
  clusterName: text(), clusterArn: arn(), containerInsights: optional(flag()),
  namespaceName: text(), namespaceId: text(), namespaceArn: arn(),
  alarmTopicArn: arn(), warningTopicArn: arn(), topicKeyArn: arn(),
  mesh: variant('kind', {
    serviceConnect: { tlsCertificateAuthorityArn: optional(arn()), accessLogs: flag() },
    envoy: {
      imageUri: optional(text()), imageRepositoryArn: optional(arn()), pullThroughCachePrefix: optional(text()),
      cpu: integer(32, 4096), memoryReservationMiB: integer(32, 8192), retryBudgetPercent: decimal(1, 100), minRetryConcurrency: integer(1, 1000),
      retryBackoffBaseMs: ms(), retryBackoffMaxMs: ms(), connectTimeoutMs: ms(), egressPortBase: integer(1024, 65535),
      accessLogs: flag(), metricsCollectorImage: text(),
    },
  }),
  auth: variant('kind', {
    cognito: {
      userPoolId: text(), userPoolArn: arn(), issuer: text(/^https:\/\//, 'an https URL'), tokenEndpoint: optional(text(/^https:\/\//, 'an https URL')),
      platformOwnsPool: flag(), clientIds: list(text()), accessTokenValidityMs: ms(),
    },
    jwt: {
      issuer: text(/^https:\/\//, 'an https URL'), audience: list(text(), 1), jwksUri: optional(text(/^https:\/\//, 'an https URL')),
      reservedConcurrency: optional(integer(1, 1_000_000)), maxTokenLifetimeMs: optional(ms()), jwksCacheTtlMs: optional(ms()),
    },
  }),
  vpcLink: optional(record({ vpcLinkId: text(), securityGroupId: text() })),
  apiDomainName: optional(text()),
  logs: record({ retentionDays: optional(integer(1, 10_000)), encryption: flag() }),
  accountSettings: record({ apiGatewayCloudWatchRole: flag(), snsTracingPolicy: flag() }),
};
const SERVICE: Fields = {
  schemaVersion: text(), platformName: text(), serviceName: text(),
  port: integer(1, 65535), protocol: oneOf(PROTOCOLS), endpoint: text(),
  retryPolicy: record({
    protocol: oneOf(['http', 'grpc', 'none']), maxRetries: integer(0, 10),
    httpRetryEvents: events(HTTP_RETRY_EVENTS), tcpRetryEvents: events(TCP_RETRY_EVENTS), grpcRetryEvents: events(GRPC_RETRY_EVENTS),
  }),
  timeouts: record({ requestMs: ms(), idleMs: optional(ms()), perTryMs: optional(ms()) }),
  outlierDetection: optional(record({ maxServerErrors: integer(1, 1_000_000), intervalMs: ms(), baseEjectionDurationMs: ms(), maxEjectionPercent: integer(0, 100) })),
  connectionPool: optional(record({ maxConnections: integer(1, 1_000_000), maxPendingRequests: optional(integer(1, 1_000_000)), maxRequests: optional(integer(1, 1_000_000)) })),
  maxCapacity: integer(0, 1_000_000),
  topics: dictionary(/^[A-Z][A-Za-z0-9]{0,39}$/, 'topic ids such as "OrderPlaced"', record({ topicArn: arn(), topicName: text(), fifo: flag(), keyArn: optional(arn()) })),
  taskRoleArn: arn(), securityGroupId: text(),
};
const SHAPES: { readonly [kind in ContractKind]: Check } = { platform: record(PLATFORM), service: record(SERVICE) };

// ---- Reading -----------------------------------------------------------------------------------

/** The value `ssm.StringParameter.valueFromLookup` returns before the CLI has looked the parameter up. */
export const LOOKUP_DUMMY_PREFIX = 'dummy-value-for-';
/** Placeholder contracts, with the account, region and partition of their ARNs. */
const PLACEHOLDERS = new WeakMap<object, { readonly account: string; readonly region: string; readonly partition: string }>();
const LAYOUT = /^\/cdk-microservice\/([^/]+)\/(?:platform|services\/([^/]+))$/;

/**
 * The contract in `json`, the value of parameter `where`: checked, its known fields kept. A newer
 * minor version reads (its additions are ignored); another major version is refused, naming the
 * parameter, the version found and the versions read. `valueFromLookup`'s dummy value (the first
 * synthesis, before the CLI looked the parameter up) gives a placeholder contract of valid shape
 * instead (see {@link isPlaceholderContract}), so that synthesis completes and the CLI does the lookup.
 */
export function parseContract<K extends ContractKind>(kind: K, json: string, where: string, env?: PlaceholderEnvironment): ContractKinds[K] {
  if (typeof json === 'string' && json.startsWith(LOOKUP_DUMMY_PREFIX)) return placeholderContract(kind, where, env);
  const errors = new PropErrors(`${kind} contract in SSM parameter '${where}'`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    errors.add(`the value must be the JSON of a ${kind} contract, got ${fmt(String(json).slice(0, 80))}`);
    errors.throwIfAny();
  }
  const version = typeof value === 'object' && value !== null ? (value as { schemaVersion?: unknown }).schemaVersion : undefined;
  const m = typeof version === 'string' ? /^(\d+)\.(\d+)$/.exec(version) : null;
  const supported = SUPPORTED_SCHEMA_MAJORS.map((v) => `${v}.x`).join(', ');
  if (!m || !SUPPORTED_SCHEMA_MAJORS.includes(Number(m[1]))) {
    errors.add(`schemaVersion must be a version this library reads (${supported}; it publishes ${CONTRACT_SCHEMA_VERSION}), got ${fmt(version)}`
      + (m ? `: the ${kind} was published by a cdk-microservice of another major version; use one that reads ${m[1]}.x in this app, or publish a ${supported} contract` : ''));
    errors.throwIfAny();
  }
  const contract = SHAPES[kind].read(value, '', errors) as ContractKinds[K];
  const names = LAYOUT.exec(where);
  if (errors.count === 0 && names) {
    const own = contract as { platformName: string; serviceName?: string };
    if (own.platformName !== names[1]) errors.add(`platformName must be the platform its parameter names, ${fmt(names[1])}, got ${fmt(own.platformName)}`);
    if (names[2] !== undefined && own.serviceName !== names[2]) errors.add(`serviceName must be the service its parameter names, ${fmt(names[2])}, got ${fmt(own.serviceName)}`);
  }
  errors.throwIfAny();
  return contract;
}

/**
 * Whether `contract` is the placeholder of a lookup the CLI has not done yet. Nothing that depends
 * on the platform's or the callee's choices may be judged from it (a validation error would stop
 * the first synthesis before the CLI can look the parameter up): skip such checks for it, as
 * `Vpc.fromLookup`'s dummy VPC skips its subnet checks.
 */
export function isPlaceholderContract(contract: object): boolean {
  return PLACEHOLDERS.has(contract);
}

/**
 * The topic `topicId` of a service's contract; a placeholder contract has every topic (a dummy of
 * valid shape). A topic the service does not publish is refused, naming the ones it does.
 */
export function topicOf(contract: ServiceContract, topicId: string, prop: string): TopicContract {
  const topic = Object.prototype.hasOwnProperty.call(contract.topics, topicId) ? contract.topics[topicId] : undefined;
  if (topic) return topic;
  const env = PLACEHOLDERS.get(contract);
  if (env) {
    const topicName = `${LOOKUP_DUMMY_PREFIX}${topicId}`;
    return { topicArn: `arn:${env.partition}:sns:${env.region}:${env.account}:${topicName}`, topicName, fifo: false };
  }
  const errors = new PropErrors(`service contract of '${contract.serviceName}'`);
  errors.add(`${prop} must be a topic the service publishes (${Object.keys(contract.topics).map(fmt).join(', ') || 'none'}), got ${fmt(topicId)}`);
  errors.throwIfAny();
  throw new Error('unreachable');
}

/**
 * A contract of valid shape and no consequence, for the first synthesis: well-formed ids (what
 * aws-cdk-lib and CloudFormation's validator check: `sg-` and 17 hex digits, `vpc-`, `subnet-`,
 * `rtb-`), two Availability Zones of the region, the default mesh and authorizer, a callee with no
 * retries, a 1 s timeout and one task. Nothing is judged on it (`isPlaceholderContract`).
 */
function placeholderContract<K extends ContractKind>(kind: K, where: string, env?: PlaceholderEnvironment): ContractKinds[K] {
  const account = env?.account ?? '123456789012';
  const region = env?.region ?? 'us-east-1';
  const partition = RegionInfo.get(region).partition ?? 'aws';
  const urlSuffix = RegionInfo.get(region).domainSuffix ?? 'amazonaws.com';
  const a = (service: string, resource: string, global = false) => `arn:${partition}:${service}:${global ? '' : region}:${account}:${resource}`;
  const names = LAYOUT.exec(where);
  const platformName = names?.[1] ?? `${LOOKUP_DUMMY_PREFIX}platform`;
  const namespaceName = 'dummy.internal';
  const contract: PlatformContract | ServiceContract = kind === 'platform' ? {
    schemaVersion: CONTRACT_SCHEMA_VERSION, platformName, vpcId: 'vpc-00000000000000000', vpcCidrBlock: '10.0.0.0/16',
    availabilityZones: [`${region}a`, `${region}b`], serviceSubnetIds: ['subnet-00000000000000000', 'subnet-00000000000000001'],
    serviceSubnetRouteTableIds: ['rtb-00000000000000000', 'rtb-00000000000000001'],
    clusterName: 'dummy-cluster', clusterArn: a('ecs', 'cluster/dummy-cluster'),
    namespaceName, namespaceId: 'ns-dummy0000000000', namespaceArn: a('servicediscovery', 'namespace/ns-dummy0000000000'),
    alarmTopicArn: a('sns', 'dummy-alarms'), warningTopicArn: a('sns', 'dummy-warnings'), topicKeyArn: a('kms', 'key/00000000-0000-0000-0000-000000000000'),
    mesh: { kind: 'serviceConnect', accessLogs: true },
    auth: {
      kind: 'cognito', userPoolId: `${region}_DUMMY0000`, userPoolArn: a('cognito-idp', `userpool/${region}_DUMMY0000`),
      issuer: `https://cognito-idp.${region}.${urlSuffix}/${region}_DUMMY0000`, platformOwnsPool: true, clientIds: [], accessTokenValidityMs: 3_600_000,
    },
    vpcLink: { vpcLinkId: 'dummy0', securityGroupId: 'sg-00000000000000000' },
    logs: { encryption: true },
    accountSettings: { apiGatewayCloudWatchRole: true, snsTracingPolicy: true },
  } : {
    schemaVersion: CONTRACT_SCHEMA_VERSION, platformName, serviceName: names?.[2] ?? 'dummy',
    port: 8080, protocol: 'http', endpoint: `http://${names?.[2] ?? 'dummy'}.${namespaceName}:8080`,
    retryPolicy: { protocol: 'none', maxRetries: 0, httpRetryEvents: [], tcpRetryEvents: [], grpcRetryEvents: [] },
    timeouts: { requestMs: 1000 }, maxCapacity: 1, topics: {},
    taskRoleArn: a('iam', 'role/dummy-task-role', true), securityGroupId: 'sg-00000000000000001',
  };
  PLACEHOLDERS.set(contract, { account, region, partition });
  return contract as ContractKinds[K];
}
