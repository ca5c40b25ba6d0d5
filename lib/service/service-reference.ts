import { Arn, ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, IConstruct } from 'constructs';
import { ServiceCallGraph } from '../mesh/call-graph';
import type { IServiceTopic } from '../messaging/service-topic';
import type { IMicroservicePlatform } from '../platform/platform-props';
import { isPlaceholderContract, ServiceContract, TopicContract, topicOf } from '../private/contract';
import { checkServiceName, serviceParameterName } from '../private/contract-names';
import { lookupContract } from '../private/contract-parameter';
import type { MeshService, PlatformMesh } from '../private/feature';
import { platformServicesOf } from '../private/platform-services';
import { PropErrors } from '../private/validation';

/**
 * A service others may call (`connectTo`): a `Microservice` of this app, or one of another app
 * joined by name (`Microservice.fromServiceName`).
 */
export interface IMicroservice extends IConstruct {
  /** The name it registers under in the platform namespace: its ECS service and discovery name. */
  readonly discoveryName: string;
  /** The port its tasks listen on. */
  readonly containerPort: number;
}

/** Which service of which platform `Microservice.fromServiceName` refers to. */
export interface ServiceReferenceOptions {
  /** The platform both services run on: the same `MicroservicePlatform`, or one joined by name. */
  readonly platform: IMicroservicePlatform;
  /** The service's discovery name (`payments`): its contract is `/cdk-microservice/<platformName>/services/<serviceName>`. */
  readonly serviceName: string;
}

/** What a caller needs of a callee, whichever app it belongs to. */
export interface CalleeSide {
  /** The platform it runs on, by name: services of one platform share one name. */
  readonly platformName: string;
  readonly platformMesh: PlatformMesh;
  readonly mesh: MeshService;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly name: string;
  readonly path: string;
  /** The services of this app that call it. */
  readonly callers: IConstruct[];
  /** Its canaries, whose tasks admit its callers too. */
  readonly canaries: CalleeSide[];
  /** False for a service of another app before the CLI looked its contract up: the call graph leaves it out. */
  readonly known: boolean;
}

const CALLEES = new WeakMap<IConstruct, CalleeSide>();

export function registerCallee(service: IConstruct, side: CalleeSide): void {
  CALLEES.set(service, side);
}

/** The callee side of `service`; a service made neither by `Microservice` nor by `fromServiceName` has none. */
export function calleeOf(service: IMicroservice, user: string): CalleeSide {
  const side = CALLEES.get(service);
  if (!side) {
    const errors = new PropErrors(user);
    errors.add(`callee must be a Microservice or Microservice.fromServiceName(), got ${service.node.path}, which is neither`);
    errors.throwIfAny();
  }
  return side!;
}

/**
 * A service of another CDK app, by its name on a platform: every value comes from the contract it
 * published (`/cdk-microservice/<platformName>/services/<serviceName>`), looked up by the CDK CLI in
 * the stack's account and region and cached in `cdk.context.json`. `connectTo` it: the caller's mesh
 * applies its retry policy, timeouts, outlier detection and connection pool, and the rule that
 * admits the caller lives in the caller's stack. `subscribe` to its `topic(id)`: the queue and the
 * subscription live in the subscriber's stack. Nothing is added to the callee's stack.
 */
export class ImportedMicroservice extends Construct implements IMicroservice {
  /** Its discovery name, the `serviceName` it was named by. */
  public readonly discoveryName: string;
  /** The port its tasks listen on, from its contract. */
  public readonly containerPort: number;
  /** The security group of its tasks, from its contract: a caller's stack adds the rule that admits the caller. */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** The contract as looked up (a placeholder before the CLI's lookup). */
  private readonly contract: ServiceContract;
  private readonly topics = new Map<string, IServiceTopic>();

  constructor(scope: Construct, id: string, options: ServiceReferenceOptions) {
    super(scope, id);
    const errors = new PropErrors(`Microservice.fromServiceName() '${this.node.path}'`);
    checkServiceName(errors, 'serviceName', options.serviceName);
    errors.throwIfAny();
    const platform = platformServicesOf(options.platform, `Microservice.fromServiceName() '${this.node.path}'`);
    const c = this.contract = lookupContract(this, 'service', serviceParameterName(platform.platformName, options.serviceName));
    this.discoveryName = options.serviceName;
    this.containerPort = c.port;
    this.securityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'SecurityGroup', c.securityGroupId, { mutable: false });
    const mesh = platform.mesh.importService(this, c, options.platform.namespace.namespaceName);
    // Before the CLI's lookup the contract is a placeholder: nothing is judged on it (the call graph
    // leaves the service out), so that the first synthesis completes and the CLI can look it up.
    const known = !isPlaceholderContract(c);
    registerCallee(this, {
      platformName: platform.platformName, platformMesh: platform.mesh, mesh, securityGroup: this.securityGroup, name: this.discoveryName,
      path: this.node.path, callers: [], canaries: [], known,
    });
    if (!known) return;
    // The call-graph check covers it from its contract: its attempts and timeouts (its own
    // callees are checked in its app).
    const retries = c.retryPolicy;
    ServiceCallGraph.of(this)._addService(this.node.path, () => ({
      path: this.node.path,
      name: this.discoveryName,
      attempts: retries.maxRetries + 1,
      perRetryTimeout: c.timeouts.perTryMs !== undefined ? Duration.millis(c.timeouts.perTryMs) : undefined,
      requestTimeout: mesh.requestTimeout,
      apiTimeout: undefined,
      retriesEnforced: mesh.retriesEnforced,
    }));
  }

  /** A topic the service publishes, by the id it was added with (`OrderPlaced`): `subscribe` takes it. */
  public topic(topicId: string): IServiceTopic {
    const existing = this.topics.get(topicId);
    if (existing) return existing;
    const prop = `topic('${topicId}') of Microservice.fromServiceName() '${this.node.path}'`;
    const t = topicOf(this.contract, topicId, prop);
    // A subscriber's queue admits the topic by an ARN of its own account and region: a contract
    // naming another, or a topic under another name, would subscribe and never deliver.
    const arn = Arn.split(t.topicArn, ArnFormat.NO_RESOURCE_NAME);
    const stack = Stack.of(this);
    const errors = new PropErrors(prop);
    if (arn.resource !== t.topicName) errors.add(`the contract's topicArn must end with its topicName ${JSON.stringify(t.topicName)}, got ${t.topicArn}`);
    for (const attr of ['account', 'region'] as const) {
      if (!Token.isUnresolved(stack[attr]) && arn[attr] !== stack[attr]) errors.add(`the topic must be in this stack's ${attr} (${stack[attr]}: the queue admits it by an ARN of its own), got ${t.topicArn}`);
    }
    errors.throwIfAny();
    const topic = new ImportedTopic(this, `Topic${topicId}`, { ...t, topicId, publisherPath: this.node.path, publisherName: this.discoveryName });
    this.topics.set(topicId, topic);
    return topic;
  }
}

/** A topic of a service of another app, as its contract names it. */
class ImportedTopic extends Construct implements IServiceTopic {
  public readonly topicArn: string;
  public readonly topicName: string;
  public readonly fifo: boolean;
  public readonly topicId: string;
  public readonly publisherPath: string;
  public readonly publisherName: string;

  constructor(scope: Construct, id: string, t: TopicContract & Pick<IServiceTopic, 'topicId' | 'publisherPath' | 'publisherName'>) {
    super(scope, id);
    this.topicArn = t.topicArn;
    ({ topicName: this.topicName, fifo: this.fifo, topicId: this.topicId, publisherPath: this.publisherPath, publisherName: this.publisherName } = t);
  }
}
