// The FIS experiment templates FaultInjection.enabled() writes: one per experiment (and per
// dependency), with the action ids, parameters and targets of the FIS actions reference, the
// service's health alarm as stop condition, the service's log group, and the template ids as outputs.
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { FaultExperiment, FaultInjection, Microservice, MicroservicePlatform, ServiceCache } from '../../lib';
import type { MicroserviceProps } from '../../lib';
import { AZS, cfnText, envStack, fisApp, getAtt, onlyAction, resource, resourcesOf, templateNames, templateOf, warningsWithId } from './fis-fixtures';
import { IMAGE, logicalId } from '../util';

const ALL_TEMPLATES = ['CacheAzPower', 'CacheUnreachable', 'CpuStress', 'PaymentsLatency', 'PaymentsUnreachable', 'StopTasks'];
/** The task actions FIS runs through the ECS fault injection endpoints (FIS actions reference). */
const NETWORK_ACTIONS = ['aws:ecs:task-network-blackhole-port', 'aws:ecs:task-network-latency', 'aws:ecs:task-network-packet-loss'];

describe('every experiment with the defaults: orders (Multi-AZ Valkey cache) calls payments (port 8443)', () => {
  let app: App;
  let platform: MicroservicePlatform;
  let orders: Microservice;
  let payments: Microservice;
  let ordersStack: Stack;
  let paymentsStack: Stack;
  let t: Template;
  let pt: Template;
  /** The orders template of that name. */
  const tpl = (name: string) => templateOf(t, orders, name);

  beforeAll(() => {
    app = fisApp();
    platform = new MicroservicePlatform(envStack(app, 'Platform'), 'Platform', { namespaceName: 'shop.internal' });
    ordersStack = envStack(app, 'Orders');
    orders = new Microservice(ordersStack, 'Orders', {
      platform, image: IMAGE, user: '101', cache: ServiceCache.valkey({ replicas: 1 }), faultInjection: FaultInjection.enabled(),
    });
    paymentsStack = envStack(app, 'Payments');
    payments = new Microservice(paymentsStack, 'Payments', {
      platform, image: IMAGE, containerPort: 8443,
      faultInjection: FaultInjection.enabled({ experiments: [FaultExperiment.STOP_TASKS, FaultExperiment.CPU_STRESS], taskPercent: 100, duration: Duration.minutes(10) }),
    });
    orders.connectTo(payments);
    t = Template.fromStack(ordersStack);
    pt = Template.fromStack(paymentsStack);
  });

  test('writes one template per experiment for orders, the dependency ones named after payments, and nothing else', () => {
    expect(templateNames(orders)).toEqual(ALL_TEMPLATES);
    expect(resourcesOf(t, 'AWS::FIS::ExperimentTemplate')).toHaveLength(ALL_TEMPLATES.length);
  });

  test('writes for payments only the two experiments it lists: no dependency (it calls nobody) and no cache', () => {
    expect(templateNames(payments)).toEqual(['CpuStress', 'StopTasks']);
    expect(resourcesOf(pt, 'AWS::FIS::ExperimentTemplate')).toHaveLength(2);
  });

  test('stops half the tasks with aws:ecs:stop-task (no parameters), then watches the service for 5 minutes with aws:fis:wait after it', () => {
    const actions = tpl('StopTasks').Actions;
    expect(Object.keys(actions).sort()).toEqual(['StopTasks', 'Watch']);
    expect(actions.StopTasks).toEqual({ ActionId: 'aws:ecs:stop-task', Targets: { Tasks: 'Tasks' } });
    expect(actions.Watch).toEqual({ ActionId: 'aws:fis:wait', Parameters: { duration: 'PT5M' }, StartAfter: ['StopTasks'] });
  });

  test('stresses 100% of the CPU for 5 minutes with aws:ecs:task-cpu-stress (which has no endpoints parameter)', () => {
    expect(onlyAction(tpl('CpuStress'))).toEqual({
      ActionId: 'aws:ecs:task-cpu-stress', Parameters: { duration: 'PT5M', percent: '100' }, Targets: { Tasks: 'Tasks' },
    });
  });

  test('black-holes egress TCP to port 8443, which only payments uses, through the ECS fault injection endpoints', () => {
    expect(onlyAction(tpl('PaymentsUnreachable'))).toEqual({
      ActionId: 'aws:ecs:task-network-blackhole-port',
      Parameters: { duration: 'PT5M', port: String(payments.containerPort), protocol: 'tcp', trafficType: 'egress', useEcsFaultInjectionEndpoints: 'true' },
      Targets: { Tasks: 'Tasks' },
    });
  });

  test('adds 200 ms ± 10 ms to every packet to payments\' DNS name in the platform namespace', () => {
    expect(onlyAction(tpl('PaymentsLatency'))).toEqual({
      ActionId: 'aws:ecs:task-network-latency',
      Parameters: {
        duration: 'PT5M', delayMilliseconds: '200', jitterMilliseconds: '10', sources: 'payments.shop.internal', useEcsFaultInjectionEndpoints: 'true',
      },
      Targets: { Tasks: 'Tasks' },
    });
  });

  test('black-holes the cache\'s port (its replication group\'s Port) for 5 minutes', () => {
    const rg = resource(t, logicalId((orders.cache as any).replicationGroup));
    expect(onlyAction(tpl('CacheUnreachable'))).toEqual({
      ActionId: 'aws:ecs:task-network-blackhole-port',
      Parameters: { duration: 'PT5M', port: String(rg.Properties.Port), protocol: 'tcp', trafficType: 'egress', useEcsFaultInjectionEndpoints: 'true' },
      Targets: { Tasks: 'Tasks' },
    });
  });

  test('cuts the power of the first AZ of the platform VPC for 5 minutes, on the replication group tagged for orders', () => {
    const template = tpl('CacheAzPower');
    expect(onlyAction(template)).toEqual({
      ActionId: 'aws:elasticache:replicationgroup-interrupt-az-power',
      Parameters: { duration: 'PT5M' },
      Targets: { ReplicationGroups: 'ReplicationGroups' },
    });
    const rg = resource(t, logicalId((orders.cache as any).replicationGroup)).Properties;
    const [key, value] = Object.entries(template.Targets.ReplicationGroups.ResourceTags)[0] as [string, string];
    expect(template.Targets).toEqual({
      ReplicationGroups: {
        ResourceType: 'aws:elasticache:replicationgroup',
        ResourceTags: { [key]: value },
        Parameters: { availabilityZoneIdentifier: AZS[0] },
        SelectionMode: 'ALL',
      },
    });
    expect(platform.vpc.availabilityZones[0]).toBe(AZS[0]);
    // The tag the target selects is on the replication group, with a value naming the stack and the service.
    expect(rg.Tags).toContainEqual({ Key: key, Value: value });
    expect(value).toBe('Orders/orders');
    expect(rg.MultiAZEnabled).toBe(true);
  });

  test('targets the running tasks of the ECS service by cluster and service, 50% of them, in every task template', () => {
    const service = resource(t, logicalId(orders.service)).Properties;
    for (const name of ALL_TEMPLATES.filter((n) => n !== 'CacheAzPower')) {
      expect(tpl(name).Targets).toEqual({
        Tasks: { ResourceType: 'aws:ecs:task', Parameters: { cluster: service.Cluster, service: service.ServiceName }, SelectionMode: 'PERCENT(50)' },
      });
    }
    expect(service.ServiceName).toBe('orders');
  });

  test('gives payments\' templates its own settings: 10 minutes (PT10M) on 100% of its tasks', () => {
    const stop = templateOf(pt, payments, 'StopTasks');
    const cpu = templateOf(pt, payments, 'CpuStress');
    expect(stop.Actions.Watch.Parameters).toEqual({ duration: 'PT10M' });
    expect(onlyAction(cpu).Parameters).toEqual({ duration: 'PT10M', percent: '100' });
    for (const x of [stop, cpu]) expect(x.Targets.Tasks.SelectionMode).toBe('PERCENT(100)');
    expect(stop.Targets.Tasks.Parameters.service).toBe('payments');
  });

  test('stops every template on the service\'s health alarm, by its ARN, and on nothing else', () => {
    const health = logicalId(orders.monitoring.healthAlarm!);
    expect(resource(t, health).Type).toBe('AWS::CloudWatch::CompositeAlarm');
    for (const name of ALL_TEMPLATES) {
      expect(tpl(name).StopConditions).toEqual([{ Source: 'aws:cloudwatch:alarm', Value: getAtt(health, 'Arn') }]);
    }
    const paymentsHealth = logicalId(payments.monitoring.healthAlarm!);
    expect(templateOf(pt, payments, 'StopTasks').StopConditions).toEqual([{ Source: 'aws:cloudwatch:alarm', Value: getAtt(paymentsHealth, 'Arn') }]);
  });

  test('runs every template with the service\'s experiment role, in this account only, failing when no target is found', () => {
    const role = logicalId(orders.faultInjection!.role);
    expect(resource(t, role).Type).toBe('AWS::IAM::Role');
    for (const name of ALL_TEMPLATES) {
      expect(tpl(name).RoleArn).toEqual(getAtt(role, 'Arn'));
      expect(tpl(name).ExperimentOptions).toEqual({ AccountTargeting: 'single-account', EmptyTargetResolutionMode: 'fail' });
    }
  });

  test('logs every experiment (schema version 2) to a vended-logs group named after the stack and the service, kept 3 months', () => {
    const group = logicalId(orders.faultInjection!.logGroup);
    const lg = resource(t, group);
    expect(lg.Type).toBe('AWS::Logs::LogGroup');
    expect(lg.Properties.LogGroupName).toBe('/aws/vendedlogs/fis/Orders/orders');
    expect(lg.Properties.RetentionInDays).toBe(90);
    expect(lg.DeletionPolicy).toBe('Delete');
    // Encrypted with the key of the service's own log group (the platform encrypts logs by default).
    expect(lg.Properties.KmsKeyId).toEqual(resource(t, logicalId(orders.logGroup)).Properties.KmsKeyId);
    for (const name of ALL_TEMPLATES) {
      expect(tpl(name).LogConfiguration).toEqual({ LogSchemaVersion: 2, CloudWatchLogsConfiguration: { LogGroupArn: getAtt(group, 'Arn') } });
    }
    expect(resource(pt, logicalId(payments.faultInjection!.logGroup)).Properties.LogGroupName).toBe('/aws/vendedlogs/fis/Payments/payments');
  });

  test('outputs each template\'s id as <Name>TemplateId, and tags each template <service>-<Name>', () => {
    const outputs = t.toJSON().Outputs;
    for (const name of ALL_TEMPLATES) {
      const id = logicalId(orders.faultInjection!.templates[name]);
      const found = Object.entries(outputs).filter(([, o]: [string, any]) => JSON.stringify(o.Value) === JSON.stringify(getAtt(id, 'Id')));
      expect(found.map(([k]) => k)).toEqual([expect.stringMatching(new RegExp(`^OrdersFaultInjection${name}TemplateId[0-9A-F]{8}$`))]);
      expect(tpl(name).Tags).toEqual({ Name: `orders-${name}` });
    }
  });

  test('warns of nothing: 50% of the default 2 tasks selects one, and the cache is a Multi-AZ replication group', () => {
    expect(warningsWithId(app, ordersStack, 'cdk-microservice:faultInjectionSelectsNoTask')).toEqual([]);
    expect(warningsWithId(app, ordersStack, 'cdk-microservice:noCacheAzPowerExperiment')).toEqual([]);
  });
});

describe('custom settings, shared ports and every kind of cache (one app)', () => {
  let app: App;
  let shop: Microservice;
  let carts: Microservice;
  let quotes: Microservice;
  let single: Microservice;
  let imported: Microservice;
  let pinned: Microservice;
  let plain: Microservice;
  let errors: cloudwatch.Alarm;
  let latency: cloudwatch.Alarm;
  const stacks: { [name: string]: Stack } = {};
  const templates: { [name: string]: Template } = {};
  /** The template `name` of a service, from its own stack. */
  const tpl = (svc: Microservice, name: string) => templateOf(templates[Stack.of(svc).stackName], svc, name);

  beforeAll(() => {
    app = fisApp();
    const platform = new MicroservicePlatform(envStack(app, 'Platform'), 'Platform', {});
    const service = (name: string, props: Partial<MicroserviceProps>) => {
      stacks[name] = envStack(app, name);
      return new Microservice(stacks[name], name, { platform, image: IMAGE, ...props });
    };
    // Callees: each in a stack of its own, no fault injection.
    const payments = service('Payments', { containerPort: 8443 });
    const catalog = service('Catalog', { containerPort: 8080 });
    const stock = service('Stock', { containerPort: 9000 });
    const prices = service('Prices', { containerPort: 9000 });
    const sessions = service('Sessions', { containerPort: 6379 });

    stacks.Shop = envStack(app, 'Shop');
    const metric = (name: string) => new cloudwatch.Metric({ namespace: 'Shop', metricName: name });
    errors = new cloudwatch.Alarm(stacks.Shop, 'Errors', { metric: metric('Errors'), threshold: 1, evaluationPeriods: 1 });
    latency = new cloudwatch.Alarm(stacks.Shop, 'Latency', { metric: metric('Latency'), threshold: 1, evaluationPeriods: 1 });
    shop = new Microservice(stacks.Shop, 'Shop', {
      platform, image: IMAGE, autoScaling: { minCapacity: 4, maxCapacity: 8 }, cache: ServiceCache.valkey({ replicas: 1 }),
      faultInjection: FaultInjection.enabled({
        duration: Duration.seconds(90), taskPercent: 25, cpuPercent: 70, latency: Duration.millis(1500), jitter: Duration.millis(0), stopAlarms: [errors, latency],
      }),
    });
    for (const callee of [payments, catalog, stock, prices]) shop.connectTo(callee);

    // The cache's port is also a dependency's: both are taken away by destination.
    carts = service('Carts', { cache: ServiceCache.valkey({ replicas: 1 }), faultInjection: FaultInjection.enabled({ experiments: [FaultExperiment.CACHE_UNREACHABLE, FaultExperiment.DEPENDENCY_UNREACHABLE] }) });
    carts.connectTo(sessions);
    quotes = service('Quotes', { cache: ServiceCache.serverless(), faultInjection: FaultInjection.enabled() });
    single = service('Single', { cache: ServiceCache.valkey({ replicas: 0 }), faultInjection: FaultInjection.enabled() });
    const importedStack = envStack(app, 'Imported');
    const vpc = platform.vpc;
    imported = new Microservice(importedStack, 'Imported', {
      platform, image: IMAGE,
      cache: ServiceCache.fromAttributes({
        host: 'legacy.abc123.euw1.cache.amazonaws.com', port: 6390,
        securityGroup: new ec2.SecurityGroup(importedStack, 'LegacySg', { vpc, description: 'legacy cache' }),
      }),
      faultInjection: FaultInjection.enabled(),
    });
    stacks.Imported = importedStack;
    plain = service('Plain', { faultInjection: FaultInjection.enabled() });
    pinned = service('Pinned', { cache: ServiceCache.valkey({ replicas: 2 }), faultInjection: FaultInjection.enabled({ cacheAvailabilityZone: 'euw1-az2' }) });

    for (const [name, stack] of Object.entries(stacks)) templates[name] = Template.fromStack(stack);
  });

  test('flows duration (PT1M30S), taskPercent (PERCENT(25)) and cpuPercent (70) into the templates', () => {
    const stop = tpl(shop, 'StopTasks');
    expect(stop.Actions.Watch.Parameters.duration).toBe('PT1M30S');
    expect(onlyAction(tpl(shop, 'CpuStress')).Parameters).toEqual({ duration: 'PT1M30S', percent: '70' });
    for (const name of templateNames(shop).filter((n) => n !== 'CacheAzPower')) {
      expect(tpl(shop, name).Targets.Tasks.SelectionMode).toBe('PERCENT(25)');
      const action = Object.values(tpl(shop, name).Actions).find((a: any) => a.ActionId !== 'aws:ecs:stop-task') as any;
      expect(action.Parameters.duration).toBe('PT1M30S');
    }
    expect(onlyAction(tpl(shop, 'CacheAzPower')).Parameters).toEqual({ duration: 'PT1M30S' });
  });

  test('flows latency (1500 ms) and jitter (0 ms) into each dependency\'s latency template', () => {
    for (const stem of ['Payments', 'Catalog', 'Stock', 'Prices']) {
      const p = onlyAction(tpl(shop, `${stem}Latency`)).Parameters;
      expect(p).toEqual({
        duration: 'PT1M30S', delayMilliseconds: '1500', jitterMilliseconds: '0', sources: `${stem.toLowerCase()}.services.internal`, useEcsFaultInjectionEndpoints: 'true',
      });
    }
  });

  test('writes an unreachable and a latency template per connectTo dependency', () => {
    expect(templateNames(shop)).toEqual(['CacheAzPower', 'CacheUnreachable', 'CatalogLatency', 'CatalogUnreachable', 'CpuStress', 'PaymentsLatency',
      'PaymentsUnreachable', 'PricesLatency', 'PricesUnreachable', 'StockLatency', 'StockUnreachable', 'StopTasks']);
  });

  test('black-holes the port of a dependency no other connection of the task uses (payments, 8443; the cache, 6379)', () => {
    for (const [name, port] of [['PaymentsUnreachable', '8443'], ['CacheUnreachable', '6379']]) {
      expect(onlyAction(tpl(shop, name))).toEqual({
        ActionId: 'aws:ecs:task-network-blackhole-port',
        Parameters: { duration: 'PT1M30S', port, protocol: 'tcp', trafficType: 'egress', useEcsFaultInjectionEndpoints: 'true' },
        Targets: { Tasks: 'Tasks' },
      });
    }
  });

  test('loses every packet to a dependency on the caller\'s own container port 8080 instead (a black-hole would cut the service\'s own traffic)', () => {
    expect(shop.containerPort).toBe(8080);
    expect(onlyAction(tpl(shop, 'CatalogUnreachable'))).toEqual({
      ActionId: 'aws:ecs:task-network-packet-loss',
      Parameters: { duration: 'PT1M30S', lossPercent: '100', sources: 'catalog.services.internal', useEcsFaultInjectionEndpoints: 'true' },
      Targets: { Tasks: 'Tasks' },
    });
  });

  test('loses every packet to each of two dependencies on the same port 9000, by its own DNS name, so that each is taken away alone', () => {
    for (const name of ['stock', 'prices']) {
      const action = onlyAction(tpl(shop, `${name[0].toUpperCase()}${name.slice(1)}Unreachable`));
      expect(action.ActionId).toBe('aws:ecs:task-network-packet-loss');
      expect(action.Parameters).toEqual({ duration: 'PT1M30S', lossPercent: '100', sources: `${name}.services.internal`, useEcsFaultInjectionEndpoints: 'true' });
    }
  });

  test('takes the cache away by destination when a dependency added later listens on its port, the primary and reader endpoints both', () => {
    const t = templates.Carts;
    const rgId = logicalId((carts.cache as any).replicationGroup);
    const action = onlyAction(tpl(carts, 'CacheUnreachable'));
    expect(action.ActionId).toBe('aws:ecs:task-network-packet-loss');
    expect({ ...action.Parameters, sources: cfnText(action.Parameters.sources) }).toEqual({
      duration: 'PT5M', lossPercent: '100', useEcsFaultInjectionEndpoints: 'true',
      sources: `\${${rgId}.PrimaryEndPoint.Address},\${${rgId}.ReaderEndPoint.Address}`,
    });
    expect(resource(t, rgId).Properties.Port).toBe(6379);
    const sessions = onlyAction(tpl(carts, 'SessionsUnreachable'));
    expect(sessions.ActionId).toBe('aws:ecs:task-network-packet-loss');
    expect(sessions.Parameters.sources).toBe('sessions.services.internal');
    // The experiments option left out the rest.
    expect(templateNames(carts)).toEqual(['CacheUnreachable', 'SessionsUnreachable']);
  });

  test('stops every template on the health alarm first, then on each stopAlarms alarm, in order', () => {
    const t = templates.Shop;
    const stops = [shop.monitoring.healthAlarm!, errors, latency].map((a) => ({ Source: 'aws:cloudwatch:alarm', Value: getAtt(logicalId(a), 'Arn') }));
    for (const name of templateNames(shop)) expect(tpl(shop, name).StopConditions).toEqual(stops);
    expect(shop.faultInjection!.stopAlarms).toEqual([shop.monitoring.healthAlarm, errors, latency]);
    expect(resource(t, logicalId(errors)).Type).toBe('AWS::CloudWatch::Alarm');
  });

  test('takes a serverless cache away by destination (it listens on 6379 and 6380), and writes no AZ power template for it', () => {
    const sc = logicalId((quotes.cache as any).cfnServerlessCache);
    expect(templateNames(quotes)).toEqual(['CacheUnreachable', 'CpuStress', 'StopTasks']);
    const action = onlyAction(tpl(quotes, 'CacheUnreachable'));
    expect(action.ActionId).toBe('aws:ecs:task-network-packet-loss');
    expect({ ...action.Parameters, sources: cfnText(action.Parameters.sources) }).toEqual({
      duration: 'PT5M', lossPercent: '100', useEcsFaultInjectionEndpoints: 'true',
      sources: `\${${sc}.Endpoint.Address},\${${sc}.ReaderEndpoint.Address}`,
    });
    expect(resourcesOf(templates.Quotes, 'AWS::FIS::ExperimentTemplate')).toHaveLength(3);
  });

  test('warns that a serverless cache gets no AZ power experiment, naming the service', () => {
    const w = warningsWithId(app, stacks.Quotes, 'cdk-microservice:noCacheAzPowerExperiment', '/Quotes/Quotes/FaultInjection');
    expect(w).toEqual([expect.stringMatching(/^No cache AZ power experiment for Quotes\/Quotes: FIS has no action for ElastiCache Serverless/)]);
  });

  test('writes no AZ power template for a single-node cache (not Multi-AZ), and says why', () => {
    expect(templateNames(single)).toEqual(['CacheUnreachable', 'CpuStress', 'StopTasks']);
    expect(onlyAction(tpl(single, 'CacheUnreachable')).ActionId).toBe('aws:ecs:task-network-blackhole-port');
    expect(warningsWithId(app, stacks.Single, 'cdk-microservice:noCacheAzPowerExperiment')).toEqual([expect.stringMatching(/Single\/Single: .*multiAz false \(replicas 0\)/)]);
    expect(JSON.stringify(resource(templates.Single, logicalId((single.cache as any).replicationGroup)).Properties.Tags ?? [])).not.toContain('fault-injection');
  });

  test('black-holes an imported cache\'s port, writes no AZ power template for it (its owner\'s stack would), and says why', () => {
    expect(templateNames(imported)).toEqual(['CacheUnreachable', 'CpuStress', 'StopTasks']);
    expect(onlyAction(tpl(imported, 'CacheUnreachable')).Parameters.port).toBe('6390');
    expect(warningsWithId(app, stacks.Imported, 'cdk-microservice:noCacheAzPowerExperiment')).toEqual([expect.stringMatching(/Imported\/Imported: the cache is imported/)]);
  });

  test('cuts the power of the cacheAvailabilityZone given (an AZ ID), not the VPC\'s first', () => {
    const target = tpl(pinned, 'CacheAzPower').Targets.ReplicationGroups;
    expect(target.Parameters).toEqual({ availabilityZoneIdentifier: 'euw1-az2' });
    expect(tpl(pinned, 'CacheAzPower').Description).toContain('euw1-az2');
  });

  test('writes no cache or dependency template for a service without a cache or connectTo, though it lists every experiment', () => {
    expect(templateNames(plain)).toEqual(['CpuStress', 'StopTasks']);
    expect(resourcesOf(templates.Plain, 'AWS::FIS::ExperimentTemplate')).toHaveLength(2);
    expect(warningsWithId(app, stacks.Plain, 'cdk-microservice:noCacheAzPowerExperiment')).toEqual([]);
  });
});

describe('the experiments option selects exactly those templates', () => {
  const selections: Array<[string, FaultExperiment[], string[]]> = [
    ['StopOnly', [FaultExperiment.STOP_TASKS], ['StopTasks']],
    ['CpuOnly', [FaultExperiment.CPU_STRESS], ['CpuStress']],
    ['BlackholeOnly', [FaultExperiment.DEPENDENCY_UNREACHABLE], ['BackendUnreachable']],
    ['LatencyOnly', [FaultExperiment.DEPENDENCY_LATENCY], ['BackendLatency']],
    ['CacheOnly', [FaultExperiment.CACHE_UNREACHABLE], ['CacheUnreachable']],
    ['PowerOnly', [FaultExperiment.CACHE_AZ_POWER], ['CacheAzPower']],
    ['Mixed', [FaultExperiment.CACHE_AZ_POWER, FaultExperiment.DEPENDENCY_LATENCY, FaultExperiment.STOP_TASKS], ['BackendLatency', 'CacheAzPower', 'StopTasks']],
  ];
  const app = fisApp();
  const platform = new MicroservicePlatform(envStack(app, 'Platform'), 'Platform', { logs: { retention: logs.RetentionDays.ONE_YEAR } });
  const backend = new Microservice(envStack(app, 'Backend'), 'Backend', { platform, image: IMAGE, containerPort: 7000 });
  const services = Object.fromEntries(selections.map(([name, experiments]) => {
    const svc = new Microservice(envStack(app, name), name, {
      platform, image: IMAGE, cache: ServiceCache.valkey({ replicas: 1 }), faultInjection: FaultInjection.enabled({ experiments }),
    });
    svc.connectTo(backend);
    return [name, svc];
  }));

  test.each(selections)('%s (%j) writes %j, each stack holding just those', (name, _experiments, expected) => {
    const svc = services[name];
    expect(templateNames(svc)).toEqual(expected);
    const t = Template.fromStack(Stack.of(svc));
    const written = resourcesOf(t, 'AWS::FIS::ExperimentTemplate').map(([, r]) => r.Properties.Tags.Name).sort();
    expect(written).toEqual(expected.map((n) => `${svc.discoveryName}-${n}`));
    expect(Object.keys(t.toJSON().Outputs ?? {}).filter((k) => k.includes('TemplateId'))).toHaveLength(expected.length);
  });

  test('keeps the experiment log group as long as the platform keeps its logs (a year)', () => {
    const svc = services.StopOnly;
    const lg = resource(Template.fromStack(Stack.of(svc)), logicalId(svc.faultInjection!.logGroup));
    expect(lg.Properties.RetentionInDays).toBe(365);
    expect(lg.Properties.LogGroupName).toBe('/aws/vendedlogs/fis/StopOnly/stop-only');
  });

  test('runs the network templates through the ECS fault injection endpoints, and only them', () => {
    for (const svc of Object.values(services)) {
      const t = Template.fromStack(Stack.of(svc));
      for (const [, r] of resourcesOf(t, 'AWS::FIS::ExperimentTemplate')) {
        for (const action of Object.values(r.Properties.Actions) as any[]) {
          expect(action.Parameters?.useEcsFaultInjectionEndpoints === 'true').toBe(NETWORK_ACTIONS.includes(action.ActionId));
        }
      }
    }
  });
});
