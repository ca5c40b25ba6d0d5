import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import type { ServiceProtocol } from './resilience';
import type { ServiceTask } from '../private/binding';
import type { MeshDescription, ServiceWithNetwork } from '../private/feature';

/** What a data plane reads of one service: its description as a callee, and where it runs. */
export interface MeshServiceContext extends MeshDescription {
  readonly servicePath: string;
  readonly discoveryName: string;
  readonly containerPort: number;
  readonly service: ecs.FargateService;
  readonly task: ServiceTask;
  readonly namespace: servicediscovery.IPrivateDnsNamespace;
  readonly clusterName: string;
  readonly protocol: ServiceProtocol;
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
