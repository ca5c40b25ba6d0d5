import type { Duration } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import type { ConnectionPool, OutlierDetection, ServiceProtocol } from './resilience';
import type { RetryPolicy } from './retry-policy';
import type { ServiceTask } from '../private/binding';
import type { MeshDescription, ServiceWithNetwork } from '../private/feature';

/** What a data plane reads of one service: its description as a callee, resolved from the unit. */
export interface MeshServiceContext {
  readonly servicePath: string;
  readonly discoveryName: string;
  readonly containerPort: number;
  readonly service: ecs.FargateService;
  readonly task: ServiceTask;
  readonly namespace: servicediscovery.IPrivateDnsNamespace;
  readonly clusterName: string;
  readonly protocol: ServiceProtocol;
  readonly retryPolicy: RetryPolicy;
  /** As given by the user, undefined for the mesh's default. */
  readonly requestTimeout?: Duration;
  readonly idleTimeout?: Duration;
  /** The API's integration timeout as given, when the service has an API. */
  readonly apiTimeout?: Duration;
  readonly outlierDetection?: OutlierDetection;
  readonly connectionPool?: ConnectionPool;
  /** The most tasks the service scales to. */
  readonly maxCapacity: number;
}

export function meshContext(u: ServiceWithNetwork, d: MeshDescription): MeshServiceContext {
  return {
    ...d,
    servicePath: u.path,
    discoveryName: u.name,
    containerPort: u.settings.containerPort,
    service: u.service,
    task: u.task,
    namespace: u.namespace,
    clusterName: u.clusterName,
    protocol: u.settings.protocol,
    maxCapacity: u.settings.maxCapacity,
  };
}
