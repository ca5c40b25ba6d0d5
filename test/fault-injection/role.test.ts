// The experiment role of each service: FIS may assume it for this account's experiments only, and
// it may do what the FIS actions reference lists for the experiments chosen, on this service's
// cluster, its tasks' SSM managed instances and its own cache, in managed policies attached to it.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FaultExperiment, FaultInjection, Microservice, MicroservicePlatform, ServiceCache } from '../../lib';
import type { MicroserviceProps } from '../../lib';
import { allowedActions, asList, cfnText, managedPolicyStatements, resource, resourcesOf, statementsAllowing } from './fis-fixtures';
import { IMAGE, logicalId, testApp } from '../util';

const ARN = (service: string, resource: string, account = '${AWS::AccountId}') => `arn:\${AWS::Partition}:${service}:\${AWS::Region}:${account}:${resource}`;
/** An AWS-owned SSM document: no account in its ARN. */
const DOCUMENT = (name: string) => ARN('ssm', `document/${name}`, '');
const MANAGED_INSTANCES = ARN('ssm', 'managed-instance/*');
const DOCS = {
  cpu: DOCUMENT('AWSFIS-Run-CPU-Stress'),
  blackhole: DOCUMENT('AWSFIS-Run-Network-Blackhole-Port-ECS'),
  latency: DOCUMENT('AWSFIS-Run-Network-Latency-ECS'),
  packetLoss: DOCUMENT('AWSFIS-Run-Network-Packet-Loss-ECS'),
};
/** What every experiment role may do: the tasks of its cluster, and the experiment log delivery. */
const BASE_ACTIONS = ['ecs:DescribeClusters', 'ecs:DescribeTasks', 'ecs:ListTasks', 'ecs:StopTask',
  'logs:CreateLogDelivery', 'logs:DescribeLogGroups', 'logs:DescribeResourcePolicies', 'logs:PutResourcePolicy'];
const NETWORK_ACTIONS = ['ec2:DescribeInstances', 'ec2:DescribeSubnets', 'ecs:DescribeContainerInstances'];
const SSM_ACTIONS = ['ssm:CancelCommand', 'ssm:ListCommands', 'ssm:SendCommand'];
const CACHE_ACTIONS = ['elasticache:DescribeReplicationGroups', 'elasticache:InterruptClusterAzPower', 'tag:GetResources'];
/** The FIS actions reference lists tag:GetResources for aws:ecs:stop-task (and the ElastiCache AZ power action). */
const STOP_ACTIONS = ['tag:GetResources'];
const TAG = 'cdk-microservice:fault-injection';

describe('the experiment role', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
  const backend = new Microservice(new Stack(app, 'Backend'), 'Backend', { platform, image: IMAGE, containerPort: 7000 });
  const services: { [name: string]: Microservice } = {};
  const add = (name: string, props: Partial<MicroserviceProps>, experiments?: FaultExperiment[]) => {
    services[name] = new Microservice(new Stack(app, name), name, { platform, image: IMAGE, ...props, faultInjection: FaultInjection.enabled({ experiments }) });
    services[name].connectTo(backend);
  };
  add('All', { cache: ServiceCache.valkey({ replicas: 1 }) });
  add('ServerlessAll', { cache: ServiceCache.serverless() });
  add('StopOnly', { cache: ServiceCache.valkey({ replicas: 1 }) }, [FaultExperiment.STOP_TASKS]);
  add('CpuOnly', {}, [FaultExperiment.CPU_STRESS]);
  add('LatencyOnly', {}, [FaultExperiment.DEPENDENCY_LATENCY]);
  add('UnreachableOnly', {}, [FaultExperiment.DEPENDENCY_UNREACHABLE]);
  add('PowerOnly', { cache: ServiceCache.valkey({ replicas: 1 }) }, [FaultExperiment.CACHE_AZ_POWER]);
  const templates: { [name: string]: Template } = Object.fromEntries(Object.entries(services).map(([n, s]) => [n, Template.fromStack(Stack.of(s))]));
  const roleId = (name: string) => logicalId(services[name].faultInjection!.role);
  const statements = (name: string) => managedPolicyStatements(templates[name], roleId(name));
  /** The resources of the statement allowing ssm:SendCommand, as text, sorted. */
  const sendCommandResources = (name: string) => statementsAllowing(statements(name), 'ssm:SendCommand').flatMap((s) => asList(s.Resource)).map(cfnText).sort();

  test('may be assumed by FIS only, for experiments of this account and region (aws:SourceAccount, aws:SourceArn)', () => {
    const trust = resource(templates.All, roleId('All')).Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]).toMatchObject({ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'fis.amazonaws.com' } });
    expect(trust[0].Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(Object.keys(trust[0].Condition).sort()).toEqual(['ArnLike', 'StringEquals']);
    expect(cfnText(trust[0].Condition.ArnLike['aws:SourceArn'])).toBe(ARN('fis', 'experiment/*'));
  });

  test('holds its permissions in a managed policy attached to it, with no inline policy', () => {
    const t = templates.All;
    const attached = asList<any>(resource(t, roleId('All')).Properties.ManagedPolicyArns);
    expect(attached).toHaveLength(1);
    expect(resource(t, attached[0].Ref).Type).toBe('AWS::IAM::ManagedPolicy');
    const inline = resourcesOf(t, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles ?? []).includes(roleId('All')));
    expect(inline).toEqual([]);
  });

  test('may stop and describe tasks (task/*) only of the service: its cluster (ecs:cluster) and the tag the service gives its tasks', () => {
    const cluster = resource(templates.All, logicalId(services.All.service)).Properties.Cluster;
    const [stop] = statementsAllowing(statements('All'), 'ecs:StopTask');
    expect(asList(stop.Action).sort()).toEqual(['ecs:DescribeTasks', 'ecs:StopTask']);
    expect(cfnText(stop.Resource)).toBe(ARN('ecs', 'task/*'));
    const clusterArn = stop.Condition.ArnEquals['ecs:cluster']['Fn::Join'][1];
    // The cluster's ARN ends with the name of the cluster the ECS service runs in.
    expect(clusterArn[clusterArn.length - 1]).toEqual(cluster);
    expect(cfnText({ 'Fn::Join': ['', clusterArn.slice(0, -1)] })).toBe(ARN('ecs', 'cluster/'));
    expect(Object.keys(stop.Condition)).toEqual(['ArnEquals', 'StringEquals']);
    expect(stop.Condition.StringEquals).toEqual({ [`aws:ResourceTag/${TAG}`]: 'All/all' });
    // The ECS service carries that tag and hands it to its tasks (propagateTags SERVICE).
    const svc = resource(templates.All, logicalId(services.All.service)).Properties;
    expect(svc.Tags).toContainEqual({ Key: TAG, Value: 'All/all' });
    expect(svc.PropagateTags).toBe('SERVICE');
    const [describe] = statementsAllowing(statements('All'), 'ecs:DescribeClusters');
    expect(describe.Resource['Fn::Join'][1]).toEqual(clusterArn);
  });

  test('with every experiment: the base, network, SSM and cache actions, and nothing else', () => {
    expect(allowedActions(statements('All'))).toEqual([...new Set([...BASE_ACTIONS, ...NETWORK_ACTIONS, ...SSM_ACTIONS, ...CACHE_ACTIONS, ...STOP_ACTIONS])].sort());
  });

  test('may send commands to the tasks\' managed instances only with the four AWSFIS documents the task experiments run', () => {
    expect(sendCommandResources('All')).toEqual([MANAGED_INSTANCES, DOCS.cpu, DOCS.blackhole, DOCS.latency, DOCS.packetLoss].sort());
  });

  test('may send commands only to the managed instances this service\'s agents registered (ssm:resourceTag), the documents in a statement of their own', () => {
    const sends = statementsAllowing(statements('All'), 'ssm:SendCommand');
    const toInstances = sends.filter((s) => asList(s.Resource).map(cfnText).includes(MANAGED_INSTANCES));
    expect(toInstances).toHaveLength(1);
    expect(asList(toInstances[0].Resource)).toHaveLength(1);
    expect(toInstances[0].Condition).toEqual({ StringEquals: { [`ssm:resourceTag/${TAG}`]: 'All/all' } });
    for (const s of sends.filter((x) => x !== toInstances[0])) expect(s.Condition).toBeUndefined();
  });

  test.each<[string, Array<keyof typeof DOCS>]>([
    ['CpuOnly', ['cpu']],
    ['LatencyOnly', ['latency']],
    ['UnreachableOnly', ['blackhole', 'packetLoss']],
  ])('%s may send only the documents its experiments run (%j)', (name, docs) => {
    expect(sendCommandResources(name)).toEqual([MANAGED_INSTANCES, ...docs.map((d) => DOCS[d])].sort());
  });

  test('may describe instances and subnets only for the network experiments: not for CPU stress alone', () => {
    const has = (name: string) => NETWORK_ACTIONS.every((a) => allowedActions(statements(name)).includes(a));
    expect([has('All'), has('LatencyOnly'), has('UnreachableOnly')]).toEqual([true, true, true]);
    expect(allowedActions(statements('CpuOnly'))).toEqual([...BASE_ACTIONS, ...SSM_ACTIONS].sort());
  });

  test('with STOP_TASKS only: the base actions and tag:GetResources (FIS actions reference, aws:ecs:stop-task), nothing about SSM, EC2 or ElastiCache', () => {
    expect(allowedActions(statements('StopOnly'))).toEqual([...BASE_ACTIONS, ...STOP_ACTIONS].sort());
    // Without STOP_TASKS and a cache AZ power experiment, no tag lookup.
    expect(allowedActions(statements('LatencyOnly'))).not.toContain('tag:GetResources');
  });

  test('may cut the AZ power only of the replication group tagged for the service (aws:ResourceTag condition = the tag it carries)', () => {
    for (const name of ['All', 'PowerOnly']) {
      const [power] = statementsAllowing(statements(name), 'elasticache:InterruptClusterAzPower');
      expect(asList(power.Action)).toEqual(['elasticache:InterruptClusterAzPower']);
      const [[conditionKey, tagValue]] = Object.entries(power.Condition.StringEquals) as Array<[string, string]>;
      expect(Object.keys(power.Condition)).toEqual(['StringEquals']);
      const tagKey = conditionKey.replace(/^aws:ResourceTag\//, '');
      expect(conditionKey).toBe(`aws:ResourceTag/${tagKey}`);
      const rg = resource(templates[name], logicalId((services[name].cache as any).replicationGroup)).Properties;
      expect(rg.Tags).toContainEqual({ Key: tagKey, Value: tagValue });
      expect(tagValue).toBe(`${name}/${services[name].discoveryName}`);
    }
  });

  test('with CACHE_AZ_POWER only: the base and cache actions, no SSM', () => {
    expect(allowedActions(statements('PowerOnly'))).toEqual([...BASE_ACTIONS, ...CACHE_ACTIONS].sort());
  });

  test('has no ElastiCache permission for a serverless cache, which FIS cannot cut the power of', () => {
    expect(allowedActions(statements('ServerlessAll')).filter((a) => a.startsWith('elasticache:'))).toEqual([]);
  });

  test('is one role per service: each service\'s templates name its own', () => {
    const ids = Object.values(services).map((s) => logicalId(s.faultInjection!.role));
    for (const [name, svc] of Object.entries(services)) {
      const fis = resourcesOf(templates[name], 'AWS::FIS::ExperimentTemplate');
      expect(fis.length).toBeGreaterThan(0);
      for (const [, r] of fis) expect(r.Properties.RoleArn).toEqual({ 'Fn::GetAtt': [logicalId(svc.faultInjection!.role), 'Arn'] });
    }
    expect(resourcesOf(templates.All, 'AWS::IAM::Role').filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('fis.amazonaws.com')).map(([id]) => id)).toEqual([ids[0]]);
  });
});
