import { Annotations, Lazy } from 'aws-cdk-lib';
import type { ServiceTopic } from '../messaging/service-topic';
import { CONTRACT_SCHEMA_VERSION, ServiceContract, TopicContract } from '../private/contract';
import { serviceParameterName } from '../private/contract-names';
import { connectionPoolContract, millisOf, outlierDetectionContract, publishContract, retryPolicyContract } from '../private/contract-parameter';
import type { MeshDescription, MeshService, ServiceFeature, ServiceWithNetwork } from '../private/feature';

/**
 * The service's call contract, an SSM parameter at `/cdk-microservice/<platformName>/services/<name>`
 * in its stack: what a caller or subscriber of another app needs (`Microservice.fromServiceName()`),
 * its port and protocol, its retry policy, timeouts, outlier detection and connection pool (a
 * caller's mesh applies them), its topics, its identity (the task role) and its tasks' security
 * group. Topics added after the service count: the value is read at synthesis.
 */
export class ContractFeature implements ServiceFeature {
  private readonly topics: ServiceTopic[] = [];

  constructor(private readonly description: MeshDescription, private readonly mesh: () => MeshService) {}

  public useService(unit: ServiceWithNetwork): void {
    const mesh = this.mesh();
    const d = this.description;
    // A contract holds literals: what other apps' callers configure at their synthesis.
    const tokens = Object.entries({
      'requestTimeout': mesh.requestTimeout, 'idleTimeout': d.idleTimeout, 'retryPolicy.perRetryTimeout': d.retryPolicy.perRetryTimeout,
      'outlierDetection.interval': d.outlierDetection?.interval, 'outlierDetection.baseEjectionDuration': d.outlierDetection?.baseEjectionDuration,
    }).filter(([, v]) => v?.isUnresolved()).map(([prop]) => prop);
    if (tokens.length > 0) {
      Annotations.of(unit.scope).addWarningV2('cdk-microservice:contractNotPublished',
        `${tokens.join(', ')} ${tokens.length > 1 ? 'are' : 'is a'} token${tokens.length > 1 ? 's' : ''} resolved at deploy: the service publishes no contract, `
        + 'so services of other apps cannot call it or subscribe to its topics by name (Microservice.fromServiceName); services of this app can');
      return;
    }
    const { retryPolicy, perTryMs } = retryPolicyContract(d.retryPolicy);
    const contract: ServiceContract = {
      schemaVersion: CONTRACT_SCHEMA_VERSION,
      platformName: unit.platform.platformName,
      serviceName: unit.name,
      port: unit.settings.containerPort,
      protocol: unit.settings.protocol as ServiceContract['protocol'],
      endpoint: mesh.endpoint,
      retryPolicy,
      timeouts: {
        requestMs: millisOf('requestTimeout', mesh.requestTimeout),
        idleMs: d.idleTimeout ? millisOf('idleTimeout', d.idleTimeout) : undefined,
        perTryMs,
      },
      outlierDetection: d.outlierDetection && outlierDetectionContract(d.outlierDetection),
      connectionPool: d.connectionPool && connectionPoolContract(d.connectionPool),
      maxCapacity: unit.settings.maxCapacity,
      topics: Lazy.any({ produce: () => Object.fromEntries(this.topics.map((t) => [t.topicId, topicContract(t)])) }) as unknown as ServiceContract['topics'],
      taskRoleArn: unit.task.taskDefinition.taskRole.roleArn,
      securityGroupId: unit.securityGroup.securityGroupId,
    };
    publishContract(unit.scope, 'Contract', serviceParameterName(unit.platform.platformName, unit.name), contract);
  }

  /** A topic the service publishes, for its contract. */
  public addTopic(topic: ServiceTopic): void {
    this.topics.push(topic);
  }
}

function topicContract(t: ServiceTopic): TopicContract {
  return { topicArn: t.topic.topicArn, topicName: t.topicName, fifo: t.fifo, keyArn: t.topic.masterKey?.keyArn };
}
