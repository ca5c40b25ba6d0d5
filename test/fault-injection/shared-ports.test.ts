// What a dependency's "unreachable" experiment may take away besides the dependency: the ECS
// agent's port black-hole drops every packet to the port, loopback included, so a port any
// container of the task listens on, or 443 (every AWS API's, the SSM agent's that runs the fault),
// is taken away by destination instead. Also: template names that cannot clash, and the
// selects-no-task warning only where a template targets tasks.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FaultExperiment, FaultInjection, Microservice, MicroservicePlatform, ServiceCache , Tracing } from '../../lib';
import type { MicroserviceProps } from '../../lib';
import { envStack, fisApp, onlyAction, templateNames, templateOf, warningsWithId } from './fis-fixtures';
import { IMAGE } from '../util';

const UNREACHABLE = [FaultExperiment.DEPENDENCY_UNREACHABLE];

describe('ports the task itself uses', () => {
  const app = fisApp();
  const platform = new MicroservicePlatform(envStack(app, 'Platform'), 'Platform', {});
  const service = (id: string, props: Partial<MicroserviceProps>) => new Microservice(envStack(app, id), id, { platform, image: IMAGE, ...props });

  // Callees on the tracing collector's OTLP/HTTP port, on 443 and on a plain port. (On ServiceMesh.envoy()
  // platforms a callee cannot listen on the sidecars' ports: the mesh refuses them.)
  const otlp = service('Otlp', { containerPort: 4318 });
  const https = service('Https', { containerPort: 443 });
  const plain = service('Plain', { containerPort: 8443 });
  const traced = service('Traced', { tracing: Tracing.openTelemetry(), faultInjection: FaultInjection.enabled({ experiments: UNREACHABLE }) });
  traced.connectTo(otlp);
  traced.connectTo(https);
  traced.connectTo(plain);

  const t = Template.fromStack(Stack.of(traced));
  const actionOf = (tpl: Template, svc: Microservice, name: string) => onlyAction(templateOf(tpl, svc, name));

  test('takes away by destination a callee on 4318, where the tracing collector the app exports to listens', () => {
    const a = actionOf(t, traced, 'OtlpUnreachable');
    expect(a.ActionId).toBe('aws:ecs:task-network-packet-loss');
    expect(a.Parameters).toMatchObject({ lossPercent: '100', sources: 'otlp.services.internal' });
  });

  test('takes away by destination a callee on 443, the port of the AWS APIs the SSM agent and the app call', () => {
    const a = actionOf(t, traced, 'HttpsUnreachable');
    expect(a.ActionId).toBe('aws:ecs:task-network-packet-loss');
    expect(a.Parameters.sources).toBe('https.services.internal');
  });

  test('still black-holes the port of a callee on a port nothing else of the task uses', () => {
    const a = actionOf(t, traced, 'PlainUnreachable');
    expect(a.ActionId).toBe('aws:ecs:task-network-blackhole-port');
    expect(a.Parameters.port).toBe('8443');
  });
});

describe('template names', () => {
  const app = fisApp();
  const platform = new MicroservicePlatform(envStack(app, 'Platform'), 'Platform', {});
  const cacheService = new Microservice(envStack(app, 'CacheSvc'), 'CacheSvc', { platform, image: IMAGE, discoveryName: 'cache', containerPort: 9000 });
  const cacheService2 = new Microservice(envStack(app, 'CacheSvc2'), 'CacheSvc2', { platform, image: IMAGE, discoveryName: 'cache-service', containerPort: 9001 });
  const orders = new Microservice(envStack(app, 'Orders'), 'Orders', {
    platform, image: IMAGE, cache: ServiceCache.valkey({ replicas: 1 }), faultInjection: FaultInjection.enabled(),
  });

  test('gives a callee named like the cache (`cache`, then `cache-service`) names of its own, and wires the call', () => {
    expect(() => orders.connectTo(cacheService)).not.toThrow();
    expect(() => orders.connectTo(cacheService2)).not.toThrow();
    expect(templateNames(orders)).toEqual([
      'CacheAzPower', 'CacheServiceLatency', 'CacheServiceServiceLatency', 'CacheServiceServiceUnreachable', 'CacheServiceUnreachable',
      'CacheUnreachable', 'CpuStress', 'StopTasks',
    ]);
    const t = Template.fromStack(Stack.of(orders));
    expect(onlyAction(templateOf(t, orders, 'CacheServiceUnreachable')).Parameters.port).toBe('9000');
    expect(onlyAction(templateOf(t, orders, 'CacheServiceServiceUnreachable')).Parameters.port).toBe('9001');
    expect(onlyAction(templateOf(t, orders, 'CacheUnreachable')).Parameters.port).toBe('6379');
  });
});

describe('the selects-no-task warning, only where a template targets tasks', () => {
  const app = fisApp();
  const platform = new MicroservicePlatform(envStack(app, 'Platform'), 'Platform', {});
  const NO_TASK = 'cdk-microservice:faultInjectionSelectsNoTask';
  const warned = (svc: Microservice) => svc.faultInjection!.node.metadata.some((m) => m.type === 'aws:cdk:warning' && String(m.data).endsWith(`[ack: ${NO_TASK}]`));
  const one = (id: string, props: Partial<MicroserviceProps>) => new Microservice(envStack(app, id), id, {
    platform, image: IMAGE, autoScaling: { minCapacity: 1, maxCapacity: 2 }, ...props,
  });

  test('does not warn of a service whose only template is the cache AZ power one (it targets the replication group)', () => {
    const svc = one('AzOnly', { cache: ServiceCache.valkey({ replicas: 1 }), faultInjection: FaultInjection.enabled({ experiments: [FaultExperiment.CACHE_AZ_POWER] }) });
    expect(templateNames(svc)).toEqual(['CacheAzPower']);
    expect(warned(svc)).toBe(false);
  });

  test('does not warn of dependency experiments until a dependency writes a template, then warns once', () => {
    const svc = one('Deps', { faultInjection: FaultInjection.enabled({ experiments: [FaultExperiment.DEPENDENCY_LATENCY, FaultExperiment.DEPENDENCY_UNREACHABLE] }) });
    expect(warned(svc)).toBe(false);
    svc.connectTo(one('Callee1', { containerPort: 9100 }));
    svc.connectTo(one('Callee2', { containerPort: 9200 }));
    expect(svc.faultInjection!.node.metadata.filter((m) => String(m.data).endsWith(`[ack: ${NO_TASK}]`))).toHaveLength(1);
  });
});

describe('listed experiments that find nothing to act on', () => {
  const UNUSED = 'cdk-microservice:faultInjectionExperimentUnused';
  const app = fisApp();
  const platform = new MicroservicePlatform(envStack(app, 'Platform'), 'Platform', {});
  const service = (id: string, props: Partial<MicroserviceProps>) => new Microservice(envStack(app, id), id, { platform, image: IMAGE, ...props });
  const lonely = service('Lonely', { faultInjection: FaultInjection.enabled({ experiments: [FaultExperiment.DEPENDENCY_LATENCY, FaultExperiment.CACHE_UNREACHABLE] }) });
  const caller = service('Caller', { faultInjection: FaultInjection.enabled({ experiments: [FaultExperiment.DEPENDENCY_LATENCY] }) });
  caller.connectTo(service('Callee', { containerPort: 9300 }));
  const defaults = service('Defaults', { faultInjection: FaultInjection.enabled() });

  test('warns, naming them and what the service lacks, since their sidecar is added all the same', () => {
    expect(templateNames(lonely)).toEqual([]);
    expect(warningsWithId(app, Stack.of(lonely), UNUSED)).toEqual([expect.stringMatching(
      /^faultInjection experiments DEPENDENCY_LATENCY, CACHE_UNREACHABLE of Lonely\/Lonely write no template: the service has no connectTo dependency and no cache\. Leave them out/,
    )]);
  });

  test('does not warn once a connectTo added later gives them a dependency', () => {
    expect(templateNames(caller)).toEqual(['CalleeLatency']);
    expect(warningsWithId(app, Stack.of(caller), UNUSED)).toEqual([]);
  });

  test('does not warn of the default experiments, each written where it applies', () => {
    expect(templateNames(defaults)).toEqual(['CpuStress', 'StopTasks']);
    expect(warningsWithId(app, Stack.of(defaults), UNUSED)).toEqual([]);
  });
});
