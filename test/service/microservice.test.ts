import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Microservice, MicroservicePlatform , Tracing } from '../../lib';
import { IMAGE, testApp, testStack } from '../util';

describe('a Microservice with only an image', () => {
  const stack = testStack();
  const orders = new Microservice(stack, 'Orders', { image: IMAGE });
  const template = Template.fromStack(stack);
  const container = () => template.findResources('AWS::ECS::TaskDefinition');

  test('creates a private platform at the stack root', () => {
    expect(stack.node.tryFindChild('MicroservicePlatform')).toBeInstanceOf(MicroservicePlatform);
    expect(orders.platform).toBe(stack.node.findChild('MicroservicePlatform'));
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.resourceCountIs('AWS::ServiceDiscovery::PrivateDnsNamespace', 1);
  });

  test('a second service in the stack shares that platform', () => {
    const s = testStack('Two');
    const a = new Microservice(s, 'A', { image: IMAGE });
    const b = new Microservice(s, 'B', { image: IMAGE });
    expect(a.platform).toBe(b.platform);
    Template.fromStack(s).resourceCountIs('AWS::EC2::VPC', 1);
  });

  test('runs 512 CPU / 1024 MiB X86_64 Linux tasks on Fargate', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '512',
      Memory: '1024',
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
  });

  test('runs one essential container on port 8080 with a read-only root filesystem and a writable /tmp', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        Name: 'app',
        Essential: true,
        Image: 'public.ecr.aws/nginx/nginx-unprivileged:stable',
        ReadonlyRootFilesystem: true,
        PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp', Name: 'http', AppProtocol: 'http' }],
        MountPoints: [{ ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'writable-tmp' }],
      })],
      Volumes: [{ Name: 'writable-tmp' }],
    });
    const def = Object.values(container())[0].Properties.ContainerDefinitions[0];
    expect(def.Environment).toBeUndefined();
    expect(def.Secrets).toBeUndefined();
    expect(def.HealthCheck).toBeUndefined();
    expect(def.Command).toBeUndefined();
  });

  test('logs through awslogs, non-blocking, to its own log group kept for a month', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        LogConfiguration: {
          LogDriver: 'awslogs',
          Options: Match.objectLike({
            'awslogs-group': { Ref: Match.stringLikeRegexp('^OrdersLogGroup') },
            'awslogs-stream-prefix': 'app',
            'mode': 'non-blocking',
          }),
        },
      })],
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('gives the task role no permissions at all', () => {
    const role = orders.taskDefinition.taskRole.node.defaultChild as any;
    const taskRoleId = stack.getLogicalId(role);
    const policies = template.findResources('AWS::IAM::Policy');
    for (const policy of Object.values(policies)) {
      expect(JSON.stringify(policy.Properties.Roles)).not.toContain(taskRoleId);
    }
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'ecs-tasks.amazonaws.com' } })],
      }),
    });
    expect(template.toJSON().Resources[taskRoleId].Properties.ManagedPolicyArns).toBeUndefined();
    expect(template.toJSON().Resources[taskRoleId].Properties.Policies).toBeUndefined();
  });

  test('places tasks in private subnets with no public IP, behind its own security group', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          AssignPublicIp: 'DISABLED',
          SecurityGroups: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^OrdersSecurityGroup'), 'GroupId'] }],
          Subnets: [
            { Ref: Match.stringLikeRegexp('^MicroservicePlatformVpcPrivateSubnet1') },
            { Ref: Match.stringLikeRegexp('^MicroservicePlatformVpcPrivateSubnet2') },
          ],
        },
      },
    });
  });

  test('its security group admits nothing until a caller is wired in', () => {
    const sg = template.toJSON().Resources[stack.getLogicalId(orders.securityGroup.node.defaultChild as any)];
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    expect(orders.connections.defaultPort?.toString()).toBe('8080');
  });

  test('deploys safely: circuit breaker with rollback, 100/200 percent', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      },
    });
  });

  test('never sets a desired count, so a deploy keeps the count autoscaling reached', () => {
    const service = Object.values(template.findResources('AWS::ECS::Service'))[0];
    expect(service.Properties).not.toHaveProperty('DesiredCount');
  });

  test('places tasks through the FARGATE capacity provider, after the cluster association exists', () => {
    const service = Object.values(template.findResources('AWS::ECS::Service'))[0];
    expect(service.Properties.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE', Weight: 1 }]);
    expect(service.Properties).not.toHaveProperty('LaunchType');
    const association = Object.keys(template.findResources('AWS::ECS::ClusterCapacityProviderAssociations'))[0];
    expect(service.DependsOn).toContain(association);
  });

  test('propagates tags from the service and turns ECS managed tags on; ECS Exec stays off', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      PropagateTags: 'SERVICE',
      EnableECSManagedTags: true,
      EnableExecuteCommand: false,
    });
  });

  test('registers in the platform namespace with A and SRV records named after the id', () => {
    expect(orders.discoveryName).toBe('orders');
    template.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      Name: 'orders',
      DnsConfig: Match.objectLike({ DnsRecords: [{ TTL: 10, Type: 'A' }, { TTL: 10, Type: 'SRV' }], RoutingPolicy: 'MULTIVALUE' }),
      HealthCheckCustomConfig: { FailureThreshold: 1 },
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      ServiceRegistries: [Match.objectLike({ ContainerName: 'app', ContainerPort: 8080 })],
    });
  });

  test('scales 2 to 10 tasks on 70% CPU and 80% memory', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 70,
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' },
        TargetValue: 80,
      }),
    });
  });

  test('exposes metrics for CPU and memory utilization', () => {
    const cpu = stack.resolve(orders.metricCpuUtilization());
    expect(cpu).toMatchObject({ namespace: 'AWS/ECS', metricName: 'CPUUtilization', statistic: 'Average' });
    const mem = orders.metricMemoryUtilization({ period: Duration.minutes(1) });
    expect(mem.metricName).toBe('MemoryUtilization');
    expect(mem.period.toMinutes()).toBe(1);
  });
});

describe('a Microservice with every option set', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
  const stack = new Stack(app, 'Cart');
  const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'DbSecret', 'cart/db');
  const param = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Param', { parameterName: '/cart/token' });
  const cart = new Microservice(stack, 'ShoppingCart', {
    platform,
    image: IMAGE,
    containerPort: 3000,
    discoveryName: 'cart',
    cpu: 1024,
    memoryLimitMiB: 4096,
    cpuArchitecture: ecs.CpuArchitecture.ARM64,
    environment: { LOG_LEVEL: 'info' },
    secrets: { DB_PASSWORD: ecs.Secret.fromSecretsManager(secret, 'password'), TOKEN: ecs.Secret.fromSsmParameter(param) },
    command: ['node', 'server.js'],
    healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:3000/health || exit 1'], interval: Duration.seconds(10), retries: 5 },
    logRetention: logs.RetentionDays.ONE_YEAR,
    writablePaths: ['/tmp', '/var/cache/app'],
    autoScaling: { minCapacity: 3, maxCapacity: 30, targetCpuUtilizationPercent: 50, targetMemoryUtilizationPercent: 60 },
    enableExecuteCommand: true,
  });
  const template = Template.fromStack(stack);

  test('applies size, architecture, port, command and health check', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '1024',
      Memory: '4096',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [Match.objectLike({
        Command: ['node', 'server.js'],
        PortMappings: [Match.objectLike({ ContainerPort: 3000 })],
        HealthCheck: { Command: ['CMD-SHELL', 'curl -f http://localhost:3000/health || exit 1'], Interval: 10, Retries: 5, Timeout: 5 },
        Environment: [{ Name: 'LOG_LEVEL', Value: 'info' }],
        MountPoints: [Match.objectLike({ ContainerPath: '/tmp' }), Match.objectLike({ ContainerPath: '/var/cache/app', SourceVolume: 'writable-var-cache-app' })],
      })],
    });
    template.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'cart' });
    template.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'cart' });
    expect(cart.connections.defaultPort?.toString()).toBe('3000');
  });

  test('injects secrets as ECS secrets, readable by the execution role only', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        Secrets: [
          { Name: 'DB_PASSWORD', ValueFrom: Match.anyValue() },
          { Name: 'TOKEN', ValueFrom: Match.anyValue() },
        ],
      })],
    });
    const execRoleId = stack.getLogicalId(cart.taskDefinition.executionRole!.node.defaultChild as any);
    const taskRoleId = stack.getLogicalId(cart.taskDefinition.taskRole.node.defaultChild as any);
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const readers = policies.filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'));
    expect(readers).toHaveLength(1);
    expect(readers[0].Properties.Roles).toEqual([{ Ref: execRoleId }]);
    const ssmReaders = policies.filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('ssm:GetParameters'));
    expect(ssmReaders.map((p) => p.Properties.Roles)).toEqual([[{ Ref: execRoleId }]]);
    for (const p of policies.filter((x) => JSON.stringify(x.Properties.Roles).includes(taskRoleId))) {
      expect(JSON.stringify(p.Properties.PolicyDocument)).not.toMatch(/secretsmanager|ssm:GetParameter/);
    }
  });

  test('turns ECS Exec on with a writable root filesystem, the SSM channel permissions and the writes of the platform\'s session log only', () => {
    template.hasResourceProperties('AWS::ECS::Service', { EnableExecuteCommand: true });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ ReadonlyRootFilesystem: false })],
    });
    const taskRoleId = stack.getLogicalId(cart.taskDefinition.taskRole.node.defaultChild as any);
    const policies = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(taskRoleId));
    const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [].concat(s.Action)));
    expect(actions.sort()).toEqual([
      'logs:CreateLogStream',
      'logs:DescribeLogGroups',
      'logs:DescribeLogStreams',
      'logs:PutLogEvents',
      'ssmmessages:CreateControlChannel',
      'ssmmessages:CreateDataChannel',
      'ssmmessages:OpenControlChannel',
      'ssmmessages:OpenDataChannel',
    ]);
    // The session log's writes on the platform cluster's ECS Exec log group only.
    const writes = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).find((st: any) => ([] as string[]).concat(st.Action).includes('logs:PutLogEvents'));
    expect(JSON.stringify(writes.Resource)).toMatch(/ExecuteCommandLogs/);
  });

  test('the platform\'s cluster logs every ECS Exec session to an encrypted log group of its own', () => {
    const platformTemplate = Template.fromStack(Stack.of(cart.platform));
    const [cluster] = Object.values<any>(platformTemplate.findResources('AWS::ECS::Cluster'));
    const group = cluster.Properties.Configuration.ExecuteCommandConfiguration;
    expect(group).toMatchObject({ Logging: 'OVERRIDE', LogConfiguration: { CloudWatchEncryptionEnabled: true, CloudWatchLogGroupName: { Ref: expect.stringMatching(/ExecuteCommandLogs/) } } });
    const logGroup = platformTemplate.toJSON().Resources[group.LogConfiguration.CloudWatchLogGroupName.Ref];
    expect(logGroup.Properties.KmsKeyId).toBeDefined();
    expect(logGroup.DeletionPolicy).toBe('Retain');
  });

  test('applies log retention and autoscaling settings', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3, MaxCapacity: 30 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 50 }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 60 }),
    });
  });

  test("leaves AwsSolutions-ECS2 to the owner of an environment; acknowledges the library's own variables only", () => {
    // Decided at synthesis, once every container of the task is known.
    const acked = (c: Microservice) => {
      Template.fromStack(Stack.of(c));
      return JSON.stringify(c.taskDefinition.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'));
    };
    // The user's LOG_LEVEL might as well be a password: the finding is theirs to judge.
    expect(acked(cart)).not.toContain('AwsSolutions-ECS2');
    const traced = new Microservice(testStack('Traced'), 'Traced', { image: IMAGE, tracing: Tracing.openTelemetry() });
    expect(acked(traced)).toContain('AwsSolutions-ECS2');
    const both = new Microservice(testStack('Both'), 'Both', { image: IMAGE, tracing: Tracing.openTelemetry(), environment: { DB_PASSWORD: 'hunter2' } });
    expect(acked(both)).not.toContain('AwsSolutions-ECS2');
    const defaults = new Microservice(testStack('Plain'), 'Plain', { image: IMAGE });
    expect(acked(defaults)).toBe('[]');
  });

  test("acknowledges ECS Exec's wildcard resource on its own policy, never on the task role", () => {
    const exec = cart.node.findChild('ExecuteCommandPolicy');
    expect(JSON.stringify(exec.node.metadata)).toContain('AwsSolutions-IAM5[Resource::*]');
    expect(JSON.stringify(cart.taskDefinition.taskRole.node.metadata)).not.toContain('AwsSolutions-IAM5');
  });

  test('references the platform stack without a CloudFormation export', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toContain('Fn::ImportValue');
    expect(json).toContain('Fn::GetStackOutput');
    const platformStack = platform.node.scope as Stack;
    const platformJson = JSON.stringify(Template.fromStack(platformStack).toJSON());
    expect(platformJson).not.toContain('Export');
    expect(platformJson).not.toContain('Fn::GetStackOutput');
    expect(platformStack.dependencies).toEqual([]);
    expect(stack.dependencies).toEqual([platformStack]);
  });
});

describe('cross-stack references', () => {
  const build = (context: { [k: string]: unknown }) => {
    const app = new App({ context });
    const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
    const svc = new Microservice(new Stack(app, 'Svc'), 'Svc', { platform, image: IMAGE, api: { routes: [{ path: '/a', scopes: ['svc/read'] }], consumers: [{ name: 'web', scopes: ['svc/read'] }] } });
    return { p: JSON.stringify(Template.fromStack(Stack.of(platform)).toJSON()), s: JSON.stringify(Template.fromStack(Stack.of(svc)).toJSON()) };
  };

  test.each([[{}], [{ '@aws-cdk/core:defaultCrossStackReferences': 'strong' }]])('are weak whatever the app says (%j): no export, no import', (context) => {
    const { p, s } = build(context);
    expect(s).toContain('Fn::GetStackOutput');
    expect(s).not.toContain('Fn::ImportValue');
    expect(p).not.toContain('"Export"');
  });

  test("keep the platform's exports while the flag says both, the move from strong references", () => {
    const { p, s } = build({ '@aws-cdk/core:defaultCrossStackReferences': 'both' });
    expect(s).toContain('Fn::GetStackOutput');
    expect(s).not.toContain('Fn::ImportValue');
    expect(p).toContain('"Export"');
  });
});

describe('Fargate Spot', () => {
  test.each([
    [50, undefined, [{ CapacityProvider: 'FARGATE', Base: 1, Weight: 1 }, { CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]],
    [80, 2, [{ CapacityProvider: 'FARGATE', Base: 2, Weight: 1 }, { CapacityProvider: 'FARGATE_SPOT', Weight: 4 }]],
    [100, 0, [{ CapacityProvider: 'FARGATE', Base: 0, Weight: 0 }, { CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]],
    [1, undefined, [{ CapacityProvider: 'FARGATE', Base: 1, Weight: 99 }, { CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]],
  ])('puts %i%% of tasks above the base of %s on Spot', (percent, onDemandBase, expected) => {
    const stack = testStack();
    new Microservice(stack, 'S', { image: IMAGE, fargateSpot: { percent, onDemandBase } });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::Service', { CapacityProviderStrategy: expected });
  });
});
