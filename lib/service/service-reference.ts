import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, IConstruct } from 'constructs';
import { ServiceCallGraph } from '../mesh/call-graph';
import type { IServiceTopic } from '../messaging/service-topic';
import type { IMicroservicePlatform } from '../platform/platform-props';
import { ServiceContract, TopicContract, topicOf } from '../private/contract';
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
  readonly platformMesh: PlatformMesh;
  readonly mesh: MeshService;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly name: string;
  readonly path: string;
  /** The services of this app that call it. */
  readonly callers: IConstruct[];
  /** Its canaries, whose tasks admit its callers too. */
  readonly canaries: CalleeSide[];
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
  public readonly discoveryName: string;
  public readonly containerPort: number;
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
    registerCallee(this, {
      platformMesh: platform.mesh, mesh, securityGroup: this.securityGroup, name: this.discoveryName, path: this.node.path, callers: [], canaries: [],
    });
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
    const t = topicOf(this.contract, topicId, `topic('${topicId}') of Microservice.fromServiceName() '${this.node.path}'`);
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
