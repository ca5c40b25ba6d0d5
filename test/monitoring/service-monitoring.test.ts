import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AlarmActions, AlarmSeverity, ApiIntegration, Microservice, MicroservicePlatform, ServiceCache, ServiceMonitoring , Tracing } from '../../lib';
import { IMAGE, logicalId, testApp, testStack } from '../util';


describe('a failed deployment of any service of the cluster pages through the platform\'s one rule; an alert EventBridge cannot deliver is kept and alarmed', () => {
  const app = testApp();
  const platformStack = new Stack(app, 'Platform');
  const platform = new MicroservicePlatform(platformStack, 'Platform');
  const stacks = ['Orders', 'Billing'].map((name) => new Stack(app, name));
  stacks.map((s) => new Microservice(s, s.stackName, { platform, image: IMAGE }));
  const t = Template.fromStack(stacks[0]);
  const p = Template.fromStack(platformStack);
  const [[ruleId, rule]] = Object.entries<any>(p.findResources('AWS::Events::Rule'));
  const queues = p.findResources('AWS::SQS::Queue');

  test('one rule of the platform\'s matches every service of its cluster by ARN prefix (the long ARN format), and no service stack has a rule', () => {
    expect(Object.keys(p.findResources('AWS::Events::Rule'))).toHaveLength(1);
    for (const stack of stacks) Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 0);
    expect(rule.Properties.EventPattern).toEqual({
      'source': ['aws.ecs'], 'detail-type': ['ECS Deployment State Change'],
      'resources': [{ prefix: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':service/', { Ref: logicalId(platform.cluster) }, '/']] } }],
      'detail': { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
    });
  });

  test('the rule targets the alarm topic by ARN, with no role, a dead-letter queue and EventBridge\'s retries', () => {
    const [target] = rule.Properties.Targets;
    expect(target.Arn).toEqual({ Ref: logicalId(platform.alarmTopic) });
    expect(target.RoleArn).toBeUndefined();
    expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [Object.keys(queues)[0], 'Arn'] } });
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 });
  });

  test('only this rule may send to its dead-letter queue (aws:SourceArn), which is encrypted and kept 14 days', () => {
    const [[id, queue]] = Object.entries<any>(queues);
    expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    const policy = Object.values<any>(p.findResources('AWS::SQS::QueuePolicy')).find((x) => JSON.stringify(x.Properties.Queues).includes(id));
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual({
      Action: 'sqs:SendMessage', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' },
      Resource: { 'Fn::GetAtt': [id, 'Arn'] },
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
    });
  });

  test('an alert in the dead-letter queue raises the platform\'s deployment-alerts-undelivered alarm on the warning topic', () => {
    const a = p.toJSON().Resources[logicalId(platform.monitoring.deploymentAlertsUndelivered)].Properties;
    expect(a).toMatchObject({ AlarmName: 'Platform-deployment-alerts-undelivered', MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Statistic: 'Maximum', Threshold: 0, EvaluationPeriods: 1 });
    expect(a.AlarmActions).toEqual([{ Ref: logicalId(platform.warningTopic) }]);
  });

  test('the service stacks add nothing to the platform\'s topic policy: it admits EventBridge once, to the alarm topic only', () => {
    expect(JSON.stringify(t.toJSON())).not.toMatch(/AWS::SNS::TopicPolicy/);
    const policies = Object.values<any>(p.findResources('AWS::SNS::TopicPolicy'));
    const eventsStatements = policies.flatMap((x) => x.Properties.PolicyDocument.Statement)
      .filter((st: any) => JSON.stringify(st.Principal).includes('events.amazonaws.com'));
    // EventBridge guide: "You can't use Condition blocks in Amazon SNS topic policies for EventBridge."
    expect(eventsStatements).toHaveLength(1);
    expect(eventsStatements[0]).toMatchObject({ Action: 'sns:Publish', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } });
    expect(eventsStatements[0].Condition).toBeUndefined();
    expect(JSON.stringify(eventsStatements[0].Resource)).toMatch(/AlarmTopic/);
  });
});

describe('a service whose failed deployments go to a topic of its own gets a rule of its own, with its dead-letter queue and alarm', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
  const stack = new Stack(app, 'Orders');
  const critical = new sns.Topic(stack, 'Critical');
  const orders = new Microservice(stack, 'Orders', {
    platform, image: IMAGE, alarms: { actions: AlarmActions.snsTopics({ critical, warning: new sns.Topic(stack, 'Warning') }) },
  });
  const t = Template.fromStack(stack);
  const [[ruleId, rule]] = Object.entries<any>(t.findResources('AWS::Events::Rule'));

  test('the rule matches the service\'s own ARN and targets its topic, with a dead-letter queue only this rule may send to', () => {
    expect(rule.Properties.EventPattern).toEqual({
      'source': ['aws.ecs'], 'detail-type': ['ECS Deployment State Change'],
      'resources': [{ Ref: logicalId(orders.service) }], 'detail': { eventName: ['SERVICE_DEPLOYMENT_FAILED'] },
    });
    expect(rule.Properties.Targets[0].Arn).toEqual({ Ref: logicalId(critical) });
    const [[id]] = Object.entries<any>(t.findResources('AWS::SQS::Queue'));
    const policy = Object.values<any>(t.findResources('AWS::SQS::QueuePolicy')).find((x) => JSON.stringify(x.Properties.Queues).includes(id));
    expect(JSON.stringify(policy.Properties.PolicyDocument.Statement)).toContain(JSON.stringify({ 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } }));
  });

  test('an alert in its dead-letter queue raises deployments.alertsUndelivered', () => {
    const a = t.toJSON().Resources[logicalId(orders.alarms['deployments.alertsUndelivered'])].Properties;
    expect(a).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Statistic: 'Maximum', Threshold: 0, EvaluationPeriods: 1 });
  });
});

describe('the alarms of a service with an API behind a load balancer and a cache', () => {
  const app = testApp();
  const platformStack = new Stack(app, 'Platform');
  const platform = new MicroservicePlatform(platformStack, 'Platform', { alarmEmails: ['oncall@example.com'] });
  const stack = new Stack(app, 'Orders');
  const orders = new Microservice(stack, 'Orders', {
    platform,
    image: IMAGE,
    api: { integration: ApiIntegration.loadBalancer(), routes: [{ path: '/x', public: true }] },
    cache: ServiceCache.valkey(),
    alarms: { api: { latencyP99: { threshold: 900, evaluationPeriods: 5, datapointsToAlarm: 3 } }, tasks: { memoryUtilization: { enabled: false } } },
  });
  const extra = orders.addAlarm('QueueDepth', {
    metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'QueueDepth' }),
    threshold: 100,
    severity: AlarmSeverity.CRITICAL,
    description: 'Order queue depth',
  });
  const t = Template.fromStack(stack);
  const p = Template.fromStack(platformStack);
  const alarm = (id: string) => Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: `Orders-orders-${id}` } }))[0].Properties;
  const warningTopic = { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('WarningTopic') }) };
  const alarmTopic = { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('AlarmTopic') }) };

  test('creates every default alarm that applies, under its override key, named <stack>-<service>-<alarm>', () => {
    expect(Object.keys(orders.alarms).sort()).toEqual([
      'QueueDepth', 'api.clientErrorRate', 'api.integrationLatencyP99', 'api.latencyP99', 'api.serverErrorRate', 'api.throttled',
      'cache.connections', 'cache.engineCpu', 'cache.evictions', 'cache.memory', 'cache.replicationLag',
      'loadBalancer.target5xx', 'loadBalancer.targetResponseTime', 'loadBalancer.unhealthyHosts',
      'mesh.latency', 'mesh.serverErrors', 'tasks.cpuUtilization', 'tasks.runningTasks',
    ]);
    expect(orders.alarms['api.latencyP99'].node.id).toBe('ApiLatencyP99');
    expect(alarm('ApiServerErrorRate').AlarmName).toBe('Orders-orders-ApiServerErrorRate');
    for (const a of Object.values(t.findResources('AWS::CloudWatch::Alarm'))) {
      expect(a.Properties.AlarmName.length).toBeLessThanOrEqual(255);
      expect(a.Properties.TreatMissingData).toBe('notBreaching');
    }
  });

  test.each<[string, object]>([
    ['CpuUtilization', { MetricName: 'CPUUtilization', Namespace: 'AWS/ECS', Statistic: 'Average', Period: 300, Threshold: 85, EvaluationPeriods: 3, DatapointsToAlarm: 3, ComparisonOperator: 'GreaterThanThreshold' }],
    ['ApiLatencyP99', { MetricName: 'Latency', Namespace: 'AWS/ApiGateway', ExtendedStatistic: 'p99', Period: 300, Threshold: 900, EvaluationPeriods: 5, DatapointsToAlarm: 3 }],
    ['ApiIntegrationLatencyP99', { MetricName: 'IntegrationLatency', ExtendedStatistic: 'p99', Threshold: 1500, EvaluationPeriods: 3 }],
    ['ApiThrottled', { MetricName: 'ThrottledRequests', Namespace: 'CdkMicroservice/Api', Statistic: 'Sum', Threshold: 10, EvaluationPeriods: 2 }],
    ['LoadBalancerTarget5xx', { MetricName: 'HTTPCode_Target_5XX_Count', Namespace: 'AWS/ApplicationELB', Statistic: 'Sum', Period: 300, Threshold: 10, EvaluationPeriods: 2 }],
    ['LoadBalancerUnhealthyHosts', { MetricName: 'UnHealthyHostCount', Statistic: 'Maximum', Period: 60, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 3 }],
    ['LoadBalancerTargetResponseTime', { MetricName: 'TargetResponseTime', ExtendedStatistic: 'p99', Threshold: 2 }],
    // Plain metric alarms on the callee's own series (a region holds at most 200 Metrics Insights alarms).
    ['MeshLatency', { MetricName: 'TargetResponseTime', Namespace: 'AWS/ECS', Dimensions: [{ Name: 'TargetDiscoveryName', Value: 'orders-sc' }], Statistic: 'Average', Period: 300, Threshold: 1000, EvaluationPeriods: 3 }],
    ['MeshServerErrors', { MetricName: 'HTTPCode_Target_5XX_Count', Namespace: 'AWS/ECS', Dimensions: [{ Name: 'TargetDiscoveryName', Value: 'orders-sc' }], Statistic: 'Sum', Period: 300, Threshold: 10, EvaluationPeriods: 2 }],
  ])('%s: metric, statistic, period, threshold and periods', (id, expected) => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `Orders-orders-${id}`, ...expected });
  });

  test('error rates are percentages of requests, from metric math', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Orders-orders-ApiServerErrorRate',
      Threshold: 1,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' }),
        Match.objectLike({ Id: 'errors', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: '5xx' }), Stat: 'Sum', Period: 300 }) }),
        Match.objectLike({ Id: 'requests', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Count' }), Stat: 'Sum' }) }),
      ]),
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'Orders-orders-ApiClientErrorRate', Threshold: 10 });
    // On Service Connect the mesh alarm counts the 5XX of the callee's own series: its callers'
    // proxies publish no request count to divide it by, so no rate.
    t.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmName: 'Orders-orders-MeshServerErrorRate' }, 0);
  });

  test('running tasks below desired: desired - running from Container Insights, per minute, 5 in a row', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Orders-orders-RunningTasks',
      Threshold: 0,
      EvaluationPeriods: 5,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'desired - running' }),
        Match.objectLike({ Id: 'running', MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: 'ECS/ContainerInsights', MetricName: 'RunningTaskCount' }), Period: 60 }) }),
      ]),
    });
  });

  test('an alarm turned off is not created', () => {
    expect(orders.alarms['tasks.memoryUtilization']).toBeUndefined();
    t.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmName: 'Orders-orders-MemoryUtilization' }, 0);
  });

  test('warnings notify the warning topic only; critical alarms notify it too and page only through the health alarm', () => {
    for (const id of ['CpuUtilization', 'ApiClientErrorRate', 'ApiIntegrationLatencyP99', 'ApiThrottled', 'LoadBalancerTargetResponseTime', 'MeshLatency', 'CacheEngineCpu', 'CacheMemory']) {
      expect(JSON.stringify(alarm(id).AlarmActions)).toMatch(/WarningTopic/);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: alarm(id).AlarmName, AlarmActions: [warningTopic] });
    }
    // Every alarm has an action (Control Tower CT.CLOUDWATCH.PR.1), and no critical one pages on its own.
    for (const id of ['RunningTasks', 'ApiServerErrorRate', 'ApiLatencyP99', 'LoadBalancerTarget5xx', 'LoadBalancerUnhealthyHosts', 'MeshServerErrors', 'QueueDepth']) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: alarm(id).AlarmName, AlarmActions: [warningTopic] });
    }
    expect(extra.alarmName).toBe(orders.alarms.QueueDepth.alarmName);
  });

  test('the health alarm pages the alarm topic when any critical alarm is in ALARM', () => {
    t.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: 'Orders-orders-health',
      AlarmActions: [alarmTopic],
      AlarmRule: ['RunningTasks', 'ApiServerErrorRate', 'ApiLatencyP99', 'LoadBalancerTarget5xx', 'LoadBalancerUnhealthyHosts', 'MeshServerErrors', 'QueueDepth']
        .map((id) => `ALARM("Orders-orders-${id}")`).join(' OR '),
    });
  });

  test('the deployment-relevant critical alarms roll back a bad ECS deployment', () => {
    t.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Alarms: {
          AlarmNames: ['Orders-orders-ApiServerErrorRate', 'Orders-orders-LoadBalancerTarget5xx', 'Orders-orders-LoadBalancerUnhealthyHosts', 'Orders-orders-MeshServerErrors'],
          Enable: true,
          Rollback: true,
        },
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
    });
  });

  test('failed deployments reach the alarm topic through the platform\'s rule: the service stack has none', () => {
    t.resourceCountIs('AWS::Events::Rule', 0);
    p.resourceCountIs('AWS::Events::Rule', 1);
    p.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] } }) });
  });

  test('the platform owns two KMS-encrypted, TLS-only topics with the e-mail subscriptions', () => {
    p.resourceCountIs('AWS::SNS::Topic', 2);
    p.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'Critical alarms', KmsMasterKeyId: Match.anyValue() });
    p.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' }, 2);
    p.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    p.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('the service dashboard puts alarm status first, then the golden signals, then one row per layer', () => {
    const widgets = orders.widgets();
    const titles = JSON.stringify(widgets.map((w) => stack.resolve((w as any).toJson())));
    const order = ['orders: alarms', 'Traffic (requests)', 'Errors', 'Latency p99 (ms)', 'Saturation (%)', 'API: requests and throttled',
      'Load balancer: target 5XX', 'Tasks: CPU (%)', 'Cache: engine CPU and memory (%)', 'Mesh: responses by code class'];
    const positions = order.map((title) => titles.indexOf(`"title":"${title}"`));
    expect(positions.every((x) => x >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    t.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Orders-orders' });
  });
});

describe('turning alarms off', () => {
  test('alarms: { enabled: false } creates no alarm, health alarm, deployment alarm or rule, but keeps the dashboard', () => {
    const stack = new Stack(testApp(), 'S');
    const svc = new Microservice(stack, 'Svc', { image: IMAGE, cache: ServiceCache.serverless(), alarms: { enabled: false } });
    const t = Template.fromStack(stack);
    // The stack holds its own platform (no platform prop): only the platform's alarms are left.
    expect(Object.keys(t.findResources('AWS::CloudWatch::Alarm')).every((id) => id.startsWith('MicroservicePlatformMonitoring'))).toBe(true);
    expect(Object.values<any>(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName).sort()).toEqual([
      'S-deployment-alerts-undelivered', 'S-user-pool-sign-in-success-ratio', 'S-user-pool-sign-in-throttles', 'S-user-pool-token-refresh-throttles',
    ]);
    t.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
    t.resourceCountIs('AWS::Events::Rule', 1); // the platform's
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 2); // the service's and the private platform's overview
    const service = Object.values(t.findResources('AWS::ECS::Service'))[0];
    expect(service.Properties.DeploymentConfiguration.Alarms).toBeUndefined();
    expect(() => svc.addAlarm('X', { metric: svc.metricCpuUtilization(), threshold: 1 })).toThrow(/alarms must be enabled \(alarms.enabled is false\)/);
  });

  test.each<[string, object, RegExp]>([
    ['a threshold above 100 percent', { tasks: { cpuUtilization: { threshold: 101 } } }, /alarms.tasks.cpuUtilization.threshold must be between 0 and 100, got 101/],
    ['zero evaluation periods', { api: { latencyP99: { evaluationPeriods: 0 } } }, /alarms.api.latencyP99.evaluationPeriods must be an integer between 1 and 100, got 0/],
    ['more datapoints than periods', { tasks: { runningTasks: { evaluationPeriods: 3, datapointsToAlarm: 4 } } }, /alarms.tasks.runningTasks.datapointsToAlarm must be an integer between 1 and 3, got 4/],
    ['more datapoints than the catalog\'s periods (api.throttled: 2), which CloudWatch refuses', { api: { throttled: { datapointsToAlarm: 5 } } }, /alarms.api.throttled.datapointsToAlarm must be an integer between 1 and 2, got 5/],
    ['a negative threshold', { api: { throttled: { threshold: -1 } } }, /alarms.api.throttled.threshold must be between 0 and/],
    ['more than 100 evaluation periods', { mesh: { latency: { evaluationPeriods: 101 } } }, /alarms.mesh.latency.evaluationPeriods must be an integer between 1 and 100, got 101/],
  ])('fails on %s', (_name, alarms, message) => {
    expect(() => new Microservice(new Stack(testApp(), 'S'), 'Svc', { image: IMAGE, alarms })).toThrow(message);
  });

  test('addAlarm fails on a bad or taken id', () => {
    const svc = new Microservice(new Stack(testApp(), 'S'), 'Svc', { image: IMAGE });
    expect(() => svc.addAlarm('cpu utilization', { metric: svc.metricCpuUtilization(), threshold: 1 })).toThrow(/id must be PascalCase letters and digits/);
    expect(() => svc.addAlarm('CpuUtilization', { metric: svc.metricCpuUtilization(), threshold: 1 })).toThrow(/id must be new, got "CpuUtilization"/);
  });

  test('a health alarm with every critical alarm turned off is never in ALARM', () => {
    const stack = new Stack(testApp(), 'S');
    new Microservice(stack, 'Svc', { image: IMAGE, alarms: { tasks: { runningTasks: { enabled: false } }, mesh: { serverErrors: { enabled: false } } } });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmRule: 'FALSE' });
  });

  test('long stack and service names are shortened under the limits, uniquely', () => {
    const stack = new Stack(testApp(), `S${'x'.repeat(120)}`);
    const svc = new Microservice(stack, 'Svc', { image: IMAGE, discoveryName: 'a'.repeat(60) });
    for (const a of Object.values(svc.alarms)) expect(a.alarmName.length).toBeLessThanOrEqual(255);
    const name = Template.fromStack(stack).toJSON().Resources[logicalId(svc.dashboard)].Properties.DashboardName;
    expect(name.length).toBeLessThanOrEqual(255);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    void Duration;
  });
});

describe('tracing: Tracing.openTelemetry()', () => {
  const stack = new Stack(testApp(), 'S');
  const svc = new Microservice(stack, 'Svc', { image: IMAGE, tracing: Tracing.openTelemetry() });
  const t = Template.fromStack(stack);
  const defs = Object.values(t.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions;

  test('adds an OpenTelemetry collector sidecar with its health check, exporting to X-Ray', () => {
    const c = defs.find((d: any) => d.Name === 'otel-collector');
    expect(c).toMatchObject({
      Image: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0',
      Command: ['--config=/etc/ecs/ecs-xray.yaml'],
      Essential: false,
      ReadonlyRootFilesystem: true,
      Cpu: 64,
      MemoryReservation: 64,
      HealthCheck: { Command: ['CMD', '/healthcheck'] },
    });
    expect(svc.collector).toBeDefined();
  });

  test('points the app at the collector, protocol and endpoint together, and starts it after the collector', () => {
    const app = defs.find((d: any) => d.Name === 'app');
    const env = Object.fromEntries(app.Environment.map((e: any) => [e.Name, e.Value]));
    // The OTLP exporter spec's default protocol is http/protobuf, whose base URL is the collector's
    // HTTP port (4318): an SDK defaulting to grpc reads the protocol, one defaulting to http the port.
    expect(env).toMatchObject({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
      OTEL_SERVICE_NAME: 'svc',
      // Built-in propagators only: an SDK without the AWS X-Ray propagator package fails at start on
      // `xray` (Java autoconfigure throws a ConfigurationException, Python raises a ValueError).
      OTEL_PROPAGATORS: 'tracecontext,baggage',
    });
    expect(app.DependsOn).toEqual([{ ContainerName: 'otel-collector', Condition: 'START' }]);
  });

  test("leaves a variable the user's environment sets to the user: gRPC-only SDKs set their own protocol and port", () => {
    const grpc = new Microservice(testStack('Grpc'), 'Grpc', {
      image: IMAGE, tracing: Tracing.openTelemetry(), environment: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4317' },
    });
    const def = Template.fromStack(Stack.of(grpc)).toJSON();
    const task = Object.values(def.Resources).find((r: any) => r.Type === 'AWS::ECS::TaskDefinition') as any;
    const env = task.Properties.ContainerDefinitions.find((d: any) => d.Name === 'app').Environment;
    expect(env.filter((e: any) => e.Name.startsWith('OTEL_EXPORTER_OTLP_'))).toEqual([
      { Name: 'OTEL_EXPORTER_OTLP_PROTOCOL', Value: 'grpc' },
      { Name: 'OTEL_EXPORTER_OTLP_ENDPOINT', Value: 'http://localhost:4317' },
    ]);
    expect(env.map((e: any) => e.Name)).toContain('OTEL_SERVICE_NAME');
  });

  test('grants the task role the X-Ray actions by a policy of their own, acknowledged there for their wildcard resource', () => {
    const policy = svc.node.findChild('XRayWritePolicy');
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(svc.taskDefinition.taskRole) }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: Match.arrayWith(['xray:GetSamplingRules', 'xray:PutTraceSegments']), Resource: '*' })] },
      PolicyName: Match.stringLikeRegexp('XRayWritePolicy'),
    });
    expect(JSON.stringify(policy.node.metadata)).toContain('AwsSolutions-IAM5[Resource::*]');
    // The user's own grants on the task role stay visible to AwsSolutions-IAM5.
    expect(JSON.stringify(svc.taskDefinition.taskRole.node.metadata)).not.toContain('AwsSolutions-IAM5');
  });
});

test('a platform user pool gets throttle alarms (critical) and a sign-in success ratio alarm (warning), one query each', () => {
  const app = testApp();
  const ps = new Stack(app, 'Platform');
  const platform = new MicroservicePlatform(ps, 'Platform');
  new Microservice(new Stack(app, 'Orders'), 'Orders', {
    platform, image: IMAGE, api: { routes: [{ path: '/x', scopes: ['orders/read'] }], consumers: [{ name: 'web', scopes: ['orders/read'] }] },
  });
  const p = Template.fromStack(ps);
  const alarms = Object.values(p.findResources('AWS::CloudWatch::Alarm'));
  expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual([
    'Platform-deployment-alerts-undelivered', 'Platform-user-pool-sign-in-success-ratio', 'Platform-user-pool-sign-in-throttles', 'Platform-user-pool-token-refresh-throttles',
  ]);
  for (const a of alarms.filter((x) => /user-pool/.test(x.Properties.AlarmName))) {
    expect(a.Properties.Metrics).toHaveLength(1);
    expect(JSON.stringify(a.Properties.Metrics[0].Expression)).toMatch(/SELECT (SUM|AVG)\(\w+\) FROM SCHEMA\(\\"AWS\/Cognito\\", UserPool, UserPoolClient\) WHERE UserPool = '/);
  }
  p.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'Platform-user-pool-sign-in-success-ratio', Threshold: 0.5, ComparisonOperator: 'LessThanThreshold', EvaluationPeriods: 3, AlarmActions: [{ Ref: Match.stringLikeRegexp('WarningTopic') }] });
  p.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'Platform-user-pool-sign-in-throttles', Threshold: 0, AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmTopic') }] });
});

test('a service none of whose parts sees its requests shows notes, not empty graphs', () => {
  // Every service's mesh publishes request metrics: the monitoring is given parts that publish none.
  const stack = new Stack(testApp(), 'S');
  const svc = new Microservice(stack, 'Svc', { image: IMAGE });
  const monitoring = ServiceMonitoring._create(svc, 'Unseen', {
    name: 'unseen', servicePath: svc.node.path, service: svc.service,
    alarmTopic: svc.platform.alarmTopic, warningTopic: svc.platform.warningTopic, options: {}, parts: [],
  });
  const json = JSON.stringify(monitoring.widgets().map((w) => stack.resolve((w as any).toJson())));
  expect(json).toContain('No request metrics');
  for (const w of monitoring.widgets().flatMap((x) => stack.resolve((x as any).toJson()))) {
    if (w.type === 'metric') expect(w.properties.metrics?.length).toBeGreaterThan(0);
  }
});
