// What FIS's task actions need in the task (FIS guide, "ECS task actions"; ECS guide, "Use fault
// injection"): the SSM agent sidecar and its managed-instance role for every experiment but
// STOP_TASKS, enableFaultInjection for the ECS fault injection endpoints, the task's PID namespace
// for the network actions; and nothing of it unless fault injection is enabled.
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FaultExperiment, FaultInjection, Microservice, MicroservicePlatform, ServiceCache, ServiceMesh , Tracing } from '../../lib';
import type { MicroserviceProps } from '../../lib';
import {
  acknowledgedRules, allowedActions, asList, containersOf, envStack, fisApp, getAtt, managedPolicyStatements, resourcesOf, taskDefinitionOf,
} from './fis-fixtures';
import { unacknowledgedFindings } from '../nag';
import { IMAGE, logicalId, testApp } from '../util';

const AGENT = 'amazon-ssm-agent';
const NONROOT = 'cdk-validator-cfnguard::ecs_task_definition_nonroot_user_check';
const READONLY = 'cdk-validator-cfnguard::ecs_containers_readonly_access_check';
const PINNED_AGENT = 'public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:3.3.1611.0';

describe('the task of each service, by the experiments it lists', () => {
  const app = fisApp();
  const platform = new MicroservicePlatform(envStack(app, 'Platform'), 'Platform', {});
  const services: { [name: string]: Microservice } = {};
  const add = (name: string, props: Partial<MicroserviceProps>) => {
    services[name] = new Microservice(envStack(app, name), name, { platform, image: IMAGE, ...props });
  };
  add('Omitted', { user: '101' });
  add('Disabled', { user: '101', faultInjection: FaultInjection.disabled() });
  add('Everything', { user: '101', faultInjection: FaultInjection.enabled() });
  add('NoUser', { faultInjection: FaultInjection.enabled() });
  add('Writable', { user: '101', readonlyRootFilesystem: false, writablePaths: [], faultInjection: FaultInjection.enabled() });
  add('Traced', { user: '101', tracing: Tracing.openTelemetry(), cpu: 256, memoryLimitMiB: 512, faultInjection: FaultInjection.enabled() });
  add('StopOnly', { user: '101', faultInjection: FaultInjection.enabled({ experiments: [FaultExperiment.STOP_TASKS] }) });
  add('CpuOnly', { user: '101', faultInjection: FaultInjection.enabled({ experiments: [FaultExperiment.CPU_STRESS], agentImage: PINNED_AGENT }) });
  add('LatencyOnly', { user: '101', faultInjection: FaultInjection.enabled({ experiments: [FaultExperiment.DEPENDENCY_LATENCY] }) });
  add('PowerOnly', { user: '101', cache: ServiceCache.valkey({ replicas: 1 }), faultInjection: FaultInjection.enabled({ experiments: [FaultExperiment.CACHE_AZ_POWER] }) });
  services.LatencyOnly.connectTo(services.Omitted);
  const templates: { [name: string]: Template } = Object.fromEntries(Object.entries(services).map(([n, s]) => [n, Template.fromStack(Stack.of(s))]));
  app.synth();
  const def = (name: string) => taskDefinitionOf(templates[name], services[name]);
  const containers = (name: string) => containersOf(templates[name], services[name]);
  /** The roles of a stack some service principal may assume. */
  const rolesAssumedBy = (name: string, principal: string) => resourcesOf(templates[name], 'AWS::IAM::Role')
    .filter(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes(`"${principal}"`));
  const taskRoleStatements = (name: string) => managedPolicyStatements(templates[name], logicalId(services[name].taskDefinition.taskRole));
  const acks = (name: string) => acknowledgedRules(services[name].taskDefinition.node.defaultChild!);

  test.each(['Omitted', 'Disabled'])('%s: no EnableFaultInjection, no PidMode, the app container alone', (name) => {
    expect(def(name).EnableFaultInjection).toBeUndefined();
    expect(def(name).PidMode).toBeUndefined();
    expect(Object.keys(containers(name))).toEqual(['app']);
    expect(containers(name).app.Memory).toBe(1024);
  });

  test.each(['Omitted', 'Disabled'])('%s: no experiment template, no FIS or SSM role, no managed policy, no output', (name) => {
    expect(services[name].faultInjection).toBeUndefined();
    expect(resourcesOf(templates[name], 'AWS::FIS::ExperimentTemplate')).toEqual([]);
    expect(rolesAssumedBy(name, 'fis.amazonaws.com')).toEqual([]);
    expect(rolesAssumedBy(name, 'ssm.amazonaws.com')).toEqual([]);
    expect(resourcesOf(templates[name], 'AWS::IAM::ManagedPolicy')).toEqual([]);
    expect(JSON.stringify(templates[name].toJSON())).not.toMatch(/vendedlogs\/fis|TemplateId/);
    expect(acks(name)).not.toContain(NONROOT);
  });

  test('FaultInjection.disabled() is what leaving faultInjection out gives: the same resources', () => {
    const types = (name: string) => Object.values(templates[name].toJSON().Resources).map((r: any) => r.Type).sort();
    expect(types('Disabled')).toEqual(types('Omitted'));
  });

  test('with every experiment: EnableFaultInjection true (the ECS endpoints) and PidMode task (the network actions)', () => {
    expect(def('Everything').EnableFaultInjection).toBe(true);
    expect(def('Everything').PidMode).toBe('task');
  });

  test('adds the SSM agent sidecar as FIS documents it, on FIS\'s non-root image: non-essential, its user, a writable root, the managed-instance role\'s name', () => {
    const agent = containers('Everything')[AGENT];
    const instanceRole = rolesAssumedBy('Everything', 'ssm.amazonaws.com');
    expect(instanceRole).toHaveLength(1);
    expect(agent).toMatchObject({
      Essential: false,
      // FIS guide, "Use the AWS FIS aws:ecs:task actions", "Non-root container images": runs as
      // the ssmagent user (UID/GID 61555), its dependencies pre-installed.
      Image: 'public.ecr.aws/aws-fis/aws-fis-ssm-agent-non-root:latest',
      User: '61555',
      ReadonlyRootFilesystem: false,
      EntryPoint: [],
      Cpu: 64,
      MemoryReservation: 128,
      Memory: 256,
      Environment: [{ Name: 'MANAGED_INSTANCE_ROLE_NAME', Value: { Ref: instanceRole[0][0] } }, { Name: 'FIS_TARGET', Value: 'Everything/everything' }],
    });
    // FIS finds the task's managed instance by the ECS_TASK_ARN tag the registration sets; the
    // service's tag holds the roles to this service's instances.
    const [shell, flag, script] = agent.Command;
    expect([shell, flag]).toEqual(['/bin/bash', '-c']);
    expect(script).toContain('create-activation --iam-role "$MANAGED_INSTANCE_ROLE_NAME"');
    expect(script).toContain('Key=ECS_TASK_ARN,Value="$TASK_ARN"');
    expect(script).toContain('Key=cdk-microservice:fault-injection,Value="$FIS_TARGET"');
    // Nothing is installed at start: no package manager, no unpinned packages fetched at run time.
    expect(script).not.toMatch(/\b(dnf|yum|apt-get|pip|curl[^\n]*\|\s*(ba)?sh)\b/);
    expect(agent.LogConfiguration.Options['awslogs-group']).toEqual({ Ref: logicalId(services.Everything.logGroup) });
    expect(containers('Everything').app.DependsOn).toContainEqual({ ContainerName: AGENT, Condition: 'START' });
  });

  test('counts the agent\'s 128 MiB reservation against the task: the app\'s hard limit is what the sidecars leave', () => {
    expect(containers('Everything').app.Memory).toBe(1024 - 128);
    expect(def('Everything').Memory).toBe('1024');
    // With the tracing collector (64 MiB) too, in a 512 MiB task.
    expect(containers('Traced').app.Memory).toBe(512 - 64 - 128);
  });

  test('the managed-instance role: only Systems Manager of this account and region assumes it (aws:SourceAccount, aws:SourceArn)', () => {
    const [[, role]] = rolesAssumedBy('Everything', 'ssm.amazonaws.com');
    // Systems Manager guide, "Create the IAM service role required for Systems Manager in hybrid
    // and multicloud environments": the trust policy with both condition keys.
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ssm.amazonaws.com' },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnEquals: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*']] } },
      },
    }]);
  });

  test('the managed-instance role holds what an agent running commands needs, no AWS managed policy: no parameter, document or inventory read', () => {
    // A machine registered with the activation gets this role's credentials: AmazonSSMManagedInstanceCore
    // would give it ssm:GetParameter* on every parameter of the account.
    const [[id, role]] = rolesAssumedBy('Everything', 'ssm.amazonaws.com');
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).not.toContain(':iam::aws:policy/');
    const statements = managedPolicyStatements(templates.Everything, id);
    expect(allowedActions(statements)).toEqual([
      'ec2messages:AcknowledgeMessage', 'ec2messages:DeleteMessage', 'ec2messages:FailMessage', 'ec2messages:GetEndpoint', 'ec2messages:GetMessages', 'ec2messages:SendReply',
      'ssm:DeleteActivation', 'ssm:DeregisterManagedInstance', 'ssm:UpdateInstanceInformation',
      'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel',
    ]);
    // It deregisters only the instances this service's agents registered.
    const [deregister] = statements.filter((s) => asList(s.Action).includes('ssm:DeregisterManagedInstance'));
    expect(asList(deregister.Action)).toEqual(['ssm:DeregisterManagedInstance']);
    expect(deregister.Condition).toEqual({ StringEquals: { 'ssm:resourceTag/cdk-microservice:fault-injection': 'Everything/everything' } });
  });

  test('lets the task role create activations and tags only with this service\'s tag and the registration\'s tag keys, and pass the managed-instance role to SSM only', () => {
    const [[instanceRoleId]] = rolesAssumedBy('Everything', 'ssm.amazonaws.com');
    const statements = taskRoleStatements('Everything');
    expect(allowedActions(statements)).toEqual(['iam:PassRole', 'ssm:AddTagsToResource', 'ssm:CreateActivation']);
    const create = statements.find((s) => asList(s.Action).includes('ssm:CreateActivation'));
    expect(asList(create.Action).sort()).toEqual(['ssm:AddTagsToResource', 'ssm:CreateActivation']);
    expect(create.Condition).toEqual({
      'StringEquals': { 'aws:RequestTag/cdk-microservice:fault-injection': 'Everything/everything' },
      'ForAllValues:StringEquals': { 'aws:TagKeys': ['ECS_TASK_AVAILABILITY_ZONE', 'ECS_TASK_ARN', 'FAULT_INJECTION_SIDECAR', 'cdk-microservice:fault-injection'] },
    });
    const pass = statements.find((s) => asList(s.Action).includes('iam:PassRole'));
    expect(pass.Resource).toEqual(getAtt(instanceRoleId, 'Arn'));
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ssm.amazonaws.com' } });
  });

  test('STOP_TASKS only needs nothing in the task: no sidecar, no EnableFaultInjection, no PidMode, no SSM roles or policies', () => {
    expect(Object.keys(containers('StopOnly'))).toEqual(['app']);
    expect(def('StopOnly').EnableFaultInjection).toBeUndefined();
    expect(def('StopOnly').PidMode).toBeUndefined();
    expect(rolesAssumedBy('StopOnly', 'ssm.amazonaws.com')).toEqual([]);
    expect(taskRoleStatements('StopOnly')).toEqual([]);
    expect(containers('StopOnly').app.Memory).toBe(1024);
    expect(rolesAssumedBy('StopOnly', 'fis.amazonaws.com')).toHaveLength(1);
  });

  test('CACHE_AZ_POWER only acts on the replication group: nothing in the task either', () => {
    expect(Object.keys(containers('PowerOnly'))).toEqual(['app']);
    expect(def('PowerOnly').EnableFaultInjection).toBeUndefined();
    expect(def('PowerOnly').PidMode).toBeUndefined();
    expect(rolesAssumedBy('PowerOnly', 'ssm.amazonaws.com')).toEqual([]);
  });

  test('CPU_STRESS only: the sidecar (with the agentImage given) and EnableFaultInjection, but no PidMode (no network action)', () => {
    expect(Object.keys(containers('CpuOnly')).sort()).toEqual([AGENT, 'app']);
    expect(containers('CpuOnly')[AGENT].Image).toBe(PINNED_AGENT);
    expect(def('CpuOnly').EnableFaultInjection).toBe(true);
    expect(def('CpuOnly').PidMode).toBeUndefined();
  });

  test('DEPENDENCY_LATENCY only: the sidecar, EnableFaultInjection and PidMode task', () => {
    expect(Object.keys(containers('LatencyOnly')).sort()).toEqual([AGENT, 'app']);
    expect(def('LatencyOnly').EnableFaultInjection).toBe(true);
    expect(def('LatencyOnly').PidMode).toBe('task');
  });

  test('acknowledges the read-only finding for the agent when every other container is read-only, and never the non-root one: the agent names its user', () => {
    expect(acks('Everything')).toContain(READONLY);
    // The tracing collector is read-only too: the finding is still the agent's alone.
    expect(acks('Traced')).toContain(READONLY);
    for (const name of ['Everything', 'Traced', 'NoUser', 'Writable']) expect(acks(name)).not.toContain(NONROOT);
  });

  test('leaves the non-root finding to the owner of an app without a user', () => {
    expect(containers('NoUser').app.User).toBeUndefined();
    expect(acks('NoUser')).not.toContain(NONROOT);
    expect(acks('NoUser')).toContain(READONLY);
  });

  test('leaves the read-only finding to the owner of an app with a writable root filesystem', () => {
    expect(containers('Writable').app.ReadonlyRootFilesystem).toBe(false);
    expect(acks('Writable')).not.toContain(READONLY);
  });

  test('acknowledges neither without the agent (STOP_TASKS only): nothing of the task is FIS\'s', () => {
    expect(acks('StopOnly')).not.toContain(NONROOT);
    expect(acks('StopOnly')).not.toContain(READONLY);
  });
});

describe('the agent\'s CPU and memory count against the task size', () => {
  // Never synthesized: node.validate() runs the size check alone. Envoy (288 units) and its metrics
  // collector (64) leave 160 of 512 units, the agent (64) leaves 96, under the app's minimum of 128.
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh: ServiceMesh.envoy({ cpu: 288 }) });
  const backend = new Microservice(new Stack(app, 'Backend'), 'Backend', { platform, image: IMAGE });
  const service = (name: string, experiments: FaultExperiment[]) => {
    const svc = new Microservice(new Stack(app, name), name, { platform, image: IMAGE, cpu: 512, faultInjection: FaultInjection.enabled({ experiments }) });
    svc.connectTo(backend);
    return svc;
  };
  const withAgent = service('WithAgent', [FaultExperiment.CPU_STRESS]);
  const withoutAgent = service('WithoutAgent', [FaultExperiment.STOP_TASKS]);

  test('refuses a cpu the agent leaves the app less than its minimum of, listing the agent', () => {
    expect(withAgent.node.validate().join('\n')).toMatch(/cpu of Microservice 'WithAgent\/WithAgent' must leave the app container at least 128 CPU units[^\n]*amazon-ssm-agent 64 CPU units \/ 128 MiB[^\n]*which leaves 96/);
  });

  test('accepts the same task without the agent (STOP_TASKS only)', () => {
    expect(withoutAgent.node.validate()).toEqual([]);
  });
});

describe('cdk-nag', () => {
  test('leaves no unacknowledged AwsSolutions finding on a service with every experiment, a cache and a dependency', () => {
    const app = testApp();
    const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
    const payments = new Microservice(new Stack(app, 'Payments'), 'Payments', { platform, image: IMAGE, user: '101', containerPort: 8443 });
    const orders = new Microservice(new Stack(app, 'Orders'), 'Orders', {
      platform, image: IMAGE, user: '101', cache: ServiceCache.valkey({ replicas: 1 }), faultInjection: FaultInjection.enabled(),
    });
    orders.connectTo(payments);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(unacknowledgedFindings(app as App)).toEqual([]);
  });
});
