import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  CacheAuth, CacheEngine, ImportedCache, Microservice, MicroserviceAlarmOptions, MicroservicePlatform, NodeBasedCache, ServerlessCache, ServiceCache,
} from '../../lib';
import { IMAGE, logicalId, testApp } from '../util';

const env = (t: Template) => Object.values(t.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions[0];

describe('ServiceCache.valkey() with defaults', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
  const stack = new Stack(app, 'Orders');
  const orders = new Microservice(stack, 'Orders', { platform, image: IMAGE, cache: ServiceCache.valkey() });
  const t = Template.fromStack(stack);
  const cache = orders.cache as NodeBasedCache;

  test('service.cache is a NodeBasedCache', () => {
    expect(orders.cache).toBeInstanceOf(NodeBasedCache);
  });

  test('creates a Valkey 8.2 replication group: primary and one replica on cache.t4g.small, Multi-AZ with failover', () => {
    t.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      EngineVersion: '8.2',
      CacheNodeType: 'cache.t4g.small',
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      Port: 6379,
      SnapshotRetentionLimit: 1,
      AutoMinorVersionUpgrade: true,
    });
  });

  test('requires TLS and encrypts at rest', () => {
    t.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
      KmsKeyId: Match.absent(),
    });
  });

  test('authenticates with an AUTH token generated into Secrets Manager, never in plain text', () => {
    const rg = Object.values(t.findResources('AWS::ElastiCache::ReplicationGroup'))[0];
    expect(rg.Properties.AuthToken).toEqual({ 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: logicalId(cache.secret) }, ':SecretString:::}}']] });
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    });
    t.resourceCountIs('AWS::ElastiCache::User', 0);
  });

  test('places the cache in the private subnets behind a security group that admits only the tasks', () => {
    t.hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
      SubnetIds: [
        { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('PrivateSubnet1') }) },
        { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('PrivateSubnet2') }) },
      ],
    });
    const sg = t.toJSON().Resources[logicalId(cache.securityGroup)];
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(JSON.stringify(sg.Properties.SecurityGroupEgress)).toContain('255.255.255.255');
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(cache.securityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(orders.securityGroup), 'GroupId'] },
      FromPort: 6379, ToPort: 6379, IpProtocol: 'tcp',
    });
  });

  test('gives the container the endpoint as environment variables and the token as an ECS secret', () => {
    const c = env(t);
    const vars = Object.fromEntries(c.Environment.map((e: any) => [e.Name, e.Value]));
    expect(vars).toEqual({
      CACHE_HOST: { 'Fn::GetAtt': [logicalId(cache.replicationGroup), 'PrimaryEndPoint.Address'] },
      CACHE_READER_HOST: { 'Fn::GetAtt': [logicalId(cache.replicationGroup), 'ReaderEndPoint.Address'] },
      CACHE_PORT: '6379',
      CACHE_TLS: 'true',
      CACHE_AUTH_MODE: 'token',
    });
    expect(c.Secrets).toEqual([{ Name: 'CACHE_AUTH_TOKEN', ValueFrom: { Ref: logicalId(cache.secret) } }]);
    expect(JSON.stringify(c)).not.toMatch(/resolve:secretsmanager/);
  });

  test('lets the execution role read the token, and gives the task role nothing', () => {
    const policies = Object.values(t.findResources('AWS::IAM::Policy'));
    const readers = policies.filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('secretsmanager:GetSecretValue'));
    expect(readers.map((p) => p.Properties.Roles)).toEqual([[{ Ref: logicalId(orders.taskDefinition.executionRole) }]]);
    expect(policies.some((p) => JSON.stringify(p.Properties.Roles).includes(logicalId(orders.taskDefinition.taskRole)))).toBe(false);
  });

  test('alarms on engine CPU, memory, evictions, connections and replication lag, maximum over the nodes', () => {
    expect(Object.keys(orders.alarms).filter((key) => key.startsWith('cache.')).sort())
      .toEqual(['cache.connections', 'cache.engineCpu', 'cache.evictions', 'cache.memory', 'cache.replicationLag']);
    expect(orders.alarms['cache.engineCpu'].node.path).toBe('Orders/Orders/Monitoring/CacheEngineCpu');
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Orders-orders-CacheEngineCpu',
      AlarmDescription: 'cache engine CPU of the busiest node (%) > 80 (warning, Orders/Orders)',
      AlarmActions: [{ 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('WarningTopic') }) }],
      Threshold: 80,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'MAX([enginecpuutilization_n1,enginecpuutilization_n2])' }),
        Match.objectLike({
          Id: 'enginecpuutilization_n1',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              MetricName: 'EngineCPUUtilization',
              Namespace: 'AWS/ElastiCache',
              Dimensions: [{ Name: 'CacheClusterId', Value: { 'Fn::Join': ['', [{ Ref: logicalId(cache.replicationGroup) }, '-001']] } }],
            }),
            Stat: 'Average',
            Period: 300,
          }),
        }),
      ]),
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 1000, EvaluationPeriods: 2, AlarmDescription: 'cache keys evicted per 5 minutes (busiest node) > 1000 (warning, Orders/Orders)' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 5000, AlarmDescription: 'cache client connections (busiest node) > 5000 (warning, Orders/Orders)' });
    // Replication lag over every node: after a failover any node may be the replica.
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'MAX([replicationlag_n1,replicationlag_n2])' }),
        Match.objectLike({ Id: 'replicationlag_n2', MetricStat: Match.objectLike({ Metric: Match.objectLike({ Dimensions: [{ Name: 'CacheClusterId', Value: { 'Fn::Join': ['', [{ Ref: logicalId(cache.replicationGroup) }, '-002']] } }] }) }) }),
      ]),
    });
  });

  test('serverless-only metrics are a compile error on a node-based cache', () => {
    // Never called: it only has to type-check, with the error expected.
    function serverlessMetricOnNodeCache(c: NodeBasedCache): void {
      // @ts-expect-error metricThrottledCommands() is a ServerlessCache metric
      c.metricThrottledCommands();
    }
    void serverlessMetricOnNodeCache;
    expect('metricThrottledCommands' in cache).toBe(false);
  });

  test('grantConnect fails on a cache without IAM authentication', () => {
    expect(() => cache.grantConnect(new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }))).toThrow(/needs auth: CacheAuth.iam\(\)/);
  });
});

describe('ServiceCache.valkey() with every option', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
  const stack = new Stack(app, 'Svc');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const svc = new Microservice(stack, 'Svc', {
    platform,
    image: IMAGE,
    cache: ServiceCache.valkey({
      engine: CacheEngine.REDIS_OSS,
      engineVersion: '7.1',
      nodeType: 'cache.r7g.large',
      replicas: 2,
      port: 6390,
      parameters: { 'maxmemory-policy': 'allkeys-lru' },
      maintenanceWindow: 'sun:05:00-sun:06:00',
      snapshotWindow: '03:00-04:00',
      snapshotRetentionDays: 7,
      kmsKey: key,
      auth: CacheAuth.iam(),
    }),
    alarms: {
      cache: {
        engineCpu: { threshold: 70 },
        memory: { threshold: 90 },
        evictions: { threshold: 0 },
        connections: { threshold: 100 },
        replicationLag: { threshold: 0.5 },
      },
    },
  });
  const t = Template.fromStack(stack);
  const cache = svc.cache as NodeBasedCache;

  test('service.cache is a NodeBasedCache', () => {
    expect(svc.cache).toBeInstanceOf(NodeBasedCache);
  });

  test('applies engine, version, size, replicas, port, windows, retention and key', () => {
    t.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'redis', EngineVersion: '7.1', CacheNodeType: 'cache.r7g.large', NumCacheClusters: 3, Port: 6390,
      PreferredMaintenanceWindow: 'sun:05:00-sun:06:00', SnapshotWindow: '03:00-04:00', SnapshotRetentionLimit: 7,
      KmsKeyId: { 'Fn::GetAtt': [logicalId(key), 'Arn'] },
      CacheParameterGroupName: { Ref: Match.stringLikeRegexp('ParameterGroup') },
    });
    t.hasResourceProperties('AWS::ElastiCache::ParameterGroup', { CacheParameterGroupFamily: 'redis7', Properties: { 'maxmemory-policy': 'allkeys-lru' } });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 6390, ToPort: 6390 });
  });

  test('authenticates with IAM: an RBAC user named as its id, a disabled default user, no secret', () => {
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const rg = Object.values(t.findResources('AWS::ElastiCache::ReplicationGroup'))[0];
    expect(rg.Properties.AuthToken).toBeUndefined();
    expect(rg.Properties.UserGroupIds).toEqual([{ Ref: logicalId(cache.userGroup) }]);
    const user = t.toJSON().Resources[logicalId(cache.user)].Properties;
    expect(user).toMatchObject({ Engine: 'redis', AuthenticationMode: { Type: 'iam' }, AccessString: 'on ~* &* +@all -@dangerous' });
    expect(user.UserName).toBe(user.UserId);
    expect(user.UserId).toMatch(/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/);
    expect(user.UserId).not.toMatch(/--/);
    t.hasResourceProperties('AWS::ElastiCache::User', { UserName: 'default', AccessString: 'off -@all', AuthenticationMode: { Type: 'no-password-required' } });
    t.hasResourceProperties('AWS::ElastiCache::UserGroup', { Engine: 'redis', UserIds: Match.arrayWith([{ Ref: logicalId(cache.user) }]) });
  });

  test('grants the task role elasticache:Connect on the cache and its user, and passes the names', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(svc.taskDefinition.taskRole) }],
      PolicyDocument: {
        Statement: [{
          Action: 'elasticache:Connect',
          Effect: 'Allow',
          Resource: Match.arrayWith([
            { 'Fn::GetAtt': [logicalId(cache.user), 'Arn'] },
            { 'Fn::Join': ['', Match.arrayWith([':replicationgroup:', { Ref: logicalId(cache.replicationGroup) }])] },
          ]),
        }],
      },
    });
    const vars = Object.fromEntries(env(t).Environment.map((e: any) => [e.Name, e.Value]));
    expect(vars.CACHE_AUTH_MODE).toBe('iam');
    expect(vars.CACHE_USERNAME).toBe(t.toJSON().Resources[logicalId(cache.user)].Properties.UserName);
    expect(vars.CACHE_IAM_CACHE_NAME).toEqual({ Ref: logicalId(cache.replicationGroup) });
    expect(env(t).Secrets).toBeUndefined();
  });

  test('applies the alarm thresholds, over three nodes', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 70, Metrics: Match.arrayWith([Match.objectLike({ Expression: 'MAX([enginecpuutilization_n1,enginecpuutilization_n2,enginecpuutilization_n3])' })]) });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 90 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 0, AlarmDescription: 'cache keys evicted per 5 minutes (busiest node) > 0 (warning, Svc/Svc)' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 100 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 0.5, Metrics: Match.arrayWith([Match.objectLike({ Expression: 'MAX([replicationlag_n1,replicationlag_n2,replicationlag_n3])' })]) });
  });

  test('acknowledges AEC6 (RBAC instead of an AUTH token) and AEC5 (Redis OSS default port) only when they apply', () => {
    const acks = JSON.stringify(cache.replicationGroup.node.metadata);
    expect(acks).toContain('AwsSolutions-AEC6');
    expect(acks).not.toContain('AwsSolutions-AEC5'); // port 6390
    expect(acks).not.toContain('AwsSolutions-AEC4'); // Multi-AZ
  });
});

describe('ServiceCache.valkey() with a replica and automaticFailover false', () => {
  test('leaves Multi-AZ off by default, which ElastiCache allows only with automatic failover', () => {
    const stack = new Stack(testApp(), 'S');
    new Microservice(stack, 'Svc', { image: IMAGE, cache: ServiceCache.valkey({ automaticFailover: false }) });
    Template.fromStack(stack).hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { NumCacheClusters: 2, AutomaticFailoverEnabled: false, MultiAZEnabled: false });
  });
});

describe('ServiceCache.valkey() with one node and a password user', () => {
  const stack = new Stack(testApp(), 'S');
  const svc = new Microservice(stack, 'Svc', { image: IMAGE, cache: ServiceCache.valkey({ replicas: 0, auth: CacheAuth.password({ accessString: 'on ~app:* +@read +@write' }) }) });
  const t = Template.fromStack(stack);

  test('service.cache is a NodeBasedCache', () => {
    expect(svc.cache).toBeInstanceOf(NodeBasedCache);
  });

  test('runs a single node without failover or Multi-AZ, leaving AwsSolutions-AEC4 to the owner who chose it', () => {
    t.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { NumCacheClusters: 1, AutomaticFailoverEnabled: false, MultiAZEnabled: false });
    expect(JSON.stringify((svc.cache as NodeBasedCache).replicationGroup.node.metadata)).not.toContain('AwsSolutions-AEC4');
    expect(svc.cache!.readerHost).toBeUndefined();
    expect(Object.keys(svc.alarms)).toContain('cache.engineCpu');
    expect(Object.keys(svc.alarms)).not.toContain('cache.replicationLag');
  });

  test('creates a user "app" whose password is the generated secret, passed as CACHE_PASSWORD', () => {
    const secretId = logicalId(svc.cache!.secret);
    t.hasResourceProperties('AWS::ElastiCache::User', {
      UserName: 'app',
      AccessString: 'on ~app:* +@read +@write',
      AuthenticationMode: { Type: 'password', Passwords: [{ 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] }] },
    });
    const c = env(t);
    expect(c.Secrets).toEqual([{ Name: 'CACHE_PASSWORD', ValueFrom: { Ref: secretId } }]);
    expect(Object.fromEntries(c.Environment.map((e: any) => [e.Name, e.Value]))).toMatchObject({ CACHE_USERNAME: 'app', CACHE_AUTH_MODE: 'password' });
  });

  test('acknowledges SMG4 on the secret with the reason rotation is not offered', () => {
    expect(JSON.stringify(svc.cache!.secret!.node.metadata)).toMatch(/AwsSolutions-SMG4.*no managed rotation/);
  });
});

describe('ServiceCache.serverless()', () => {
  const stack = new Stack(testApp(), 'S');
  const svc = new Microservice(stack, 'Svc', { image: IMAGE, cache: ServiceCache.serverless() });
  const t = Template.fromStack(stack);
  const cache = svc.cache as ServerlessCache;

  test('service.cache is a ServerlessCache', () => {
    expect(svc.cache).toBeInstanceOf(ServerlessCache);
  });

  test('a Valkey user group holds only the service user: no default user without a password', () => {
    t.resourceCountIs('AWS::ElastiCache::User', 1);
    t.hasResourceProperties('AWS::ElastiCache::UserGroup', { Engine: 'valkey', UserIds: [{ Ref: logicalId(cache.user) }] });
  });

  test('creates a Valkey 8 serverless cache with usage limits, in private subnets, with a password user', () => {
    t.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      MajorEngineVersion: '8',
      CacheUsageLimits: { DataStorage: { Maximum: 10, Unit: 'GB' }, ECPUPerSecond: { Maximum: 10000 } },
      SnapshotRetentionLimit: 1,
      SubnetIds: [{ Ref: Match.stringLikeRegexp('PrivateSubnet1') }, { Ref: Match.stringLikeRegexp('PrivateSubnet2') }],
      UserGroupId: { Ref: logicalId(cache.userGroup) },
      ServerlessCacheName: Match.stringLikeRegexp('^[a-z][a-z0-9-]{0,39}$'),
    });
    t.hasResourceProperties('AWS::ElastiCache::User', { UserName: 'app', AuthenticationMode: Match.objectLike({ Type: 'password' }) });
    t.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
  });

  test('admits the tasks on 6379 and the reader port 6380 only', () => {
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 2);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 6379, ToPort: 6379 });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 6380, ToPort: 6380 });
    const vars = Object.fromEntries(env(t).Environment.map((e: any) => [e.Name, e.Value]));
    expect(vars).toMatchObject({ CACHE_PORT: { 'Fn::GetAtt': [logicalId(cache.cfnServerlessCache), 'Endpoint.Port'] }, CACHE_READER_PORT: '6380', CACHE_TLS: 'true' });
  });

  test('alarms on ECPUs, storage, throttled commands and read latency against the limits', () => {
    expect(Object.keys(svc.alarms).filter((key) => key.startsWith('cache.')).sort())
      .toEqual(['cache.ecpu', 'cache.readLatency', 'cache.storage', 'cache.throttledCommands']);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ElastiCacheProcessingUnits', Statistic: 'Sum', Period: 60, Threshold: 0.8 * 10000 * 60, Dimensions: [{ Name: 'clusterId', Value: Match.anyValue() }] });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'BytesUsedForCache', Threshold: 0.8 * 10 * 1e9 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ThrottledCmds', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'SuccessfulReadRequestLatency', ExtendedStatistic: 'p99', Threshold: 2000 });
    expect(stack.resolve(cache.metricWriteLatency())).toMatchObject({ metricName: 'SuccessfulWriteRequestLatency', statistic: 'p99' });
  });

  test('node-only metrics are a compile error on a serverless cache', () => {
    // Never called: it only has to type-check, with the error expected.
    function nodeMetricOnServerlessCache(c: ServerlessCache): void {
      // @ts-expect-error metricEvictions() is a NodeBasedCache metric
      c.metricEvictions();
    }
    void nodeMetricOnServerlessCache;
    expect('metricEvictions' in cache).toBe(false);
  });
});

describe('ServiceCache.fromAttributes()', () => {
  test('injects the endpoint and the secret, and opens the owner\'s security group in the service stack', () => {
    const app = testApp();
    const owner = new Stack(app, 'Owner');
    const vpc = new ec2.Vpc(owner, 'Vpc', { natGateways: 1 });
    const sg = new ec2.SecurityGroup(owner, 'CacheSg', { vpc, description: 'shared cache' });
    const secret = new secretsmanager.Secret(owner, 'Token');
    const stack = new Stack(app, 'Svc');
    const platform = new MicroservicePlatform(stack, 'P', { vpc });
    const svc = new Microservice(stack, 'Svc', {
      platform,
      image: IMAGE,
      cache: ServiceCache.fromAttributes({ host: 'shared.abc.cache.amazonaws.com', port: 6390, securityGroup: sg, secret }),
    });
    expect(svc.cache).toBeInstanceOf(ImportedCache);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
    expect(Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter((a) => JSON.stringify(a).includes('ElastiCache'))).toEqual([]);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 6390, ToPort: 6390, IpProtocol: 'tcp',
      GroupId: { 'Fn::GetStackOutput': Match.objectLike({ StackName: 'Owner' }) },
    });
    Template.fromStack(owner).resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    const c = env(t);
    expect(Object.fromEntries(c.Environment.map((e: any) => [e.Name, e.Value]))).toMatchObject({ CACHE_HOST: 'shared.abc.cache.amazonaws.com', CACHE_PORT: '6390', CACHE_TLS: 'true', CACHE_AUTH_MODE: 'token' });
    expect(c.Secrets.map((s: any) => s.Name)).toEqual(['CACHE_AUTH_TOKEN']);
  });
});

describe('bad input', () => {
  test.each<[string, () => ServiceCache, RegExp]>([
    ['a node type that does not exist', () => ServiceCache.valkey({ nodeType: 'cache.t4g.huge' }), /nodeType must be one of "cache.t3.micro", .*"cache.c7gn.16xlarge", got "cache.t4g.huge"/],
    ['an engine version the engine does not have', () => ServiceCache.valkey({ engineVersion: '7.1' }), /engineVersion must be one of "7.2", "8.0", "8.1", "8.2", "9.0", "9.1", got "7.1"/],
    ['a Redis OSS version that does not exist', () => ServiceCache.valkey({ engine: CacheEngine.REDIS_OSS, engineVersion: '8.0' }), /engineVersion must be one of "6.0", "6.2", "7.0", "7.1", got "8.0"/],
    ['replicas below 0', () => ServiceCache.valkey({ replicas: -1 }), /replicas must be an integer between 0 and 5, got -1/],
    ['replicas above 5', () => ServiceCache.valkey({ replicas: 6 }), /replicas must be an integer between 0 and 5, got 6/],
    ['automatic failover without a replica', () => ServiceCache.valkey({ replicas: 0, automaticFailover: true }), /automaticFailover needs a replica to promote: .* got automaticFailover true with replicas 0/],
    ['Multi-AZ with one node', () => ServiceCache.valkey({ replicas: 0, multiAz: true }), /multiAz needs a replica in another AZ: .* got multiAz true with replicas 0 \(one node\)/],
    ['Multi-AZ without failover', () => ServiceCache.valkey({ multiAz: true, automaticFailover: false }), /multiAz requires automaticFailover/],
    ['IAM auth on Redis OSS 6.2', () => ServiceCache.valkey({ engine: CacheEngine.REDIS_OSS, engineVersion: '6.2', auth: CacheAuth.iam() }), /auth CacheAuth.iam\(\) needs Redis OSS 7.0 or later, got engineVersion "6.2"/],
    ['TLS off', () => ServiceCache.valkey({ transitEncryption: false }), /transitEncryption must be true \(services reach their cache over TLS only\), got false/],
    ['TLS off on serverless', () => ServiceCache.serverless({ transitEncryption: false }), /transitEncryption must be true/],
    ['TLS off on an imported cache', () => ServiceCache.fromAttributes({ host: 'h', port: 6379, tls: false }), /tls must be true/],
    ['a port below 1024', () => ServiceCache.valkey({ port: 1023 }), /port must be an integer between 1024 and 65535, got 1023/],
    ['a port above 65535', () => ServiceCache.valkey({ port: 65536 }), /port must be an integer between 1024 and 65535, got 65536/],
    ['snapshot retention above 35', () => ServiceCache.valkey({ snapshotRetentionDays: 36 }), /snapshotRetentionDays must be an integer between 0 and 35, got 36/],
    ['snapshot retention below 0', () => ServiceCache.serverless({ snapshotRetentionDays: -1 }), /snapshotRetentionDays must be an integer between 0 and 35, got -1/],
    ['parameters with a parameter group', () => ServiceCache.valkey({ parameters: { a: 'b' }, parameterGroupName: 'pg' }), /parameters and parameterGroupName are mutually exclusive/],
    ['a malformed maintenance window', () => ServiceCache.valkey({ maintenanceWindow: 'sunday 5am' }), /maintenanceWindow must be a weekly UTC window "ddd:hh:mm-ddd:hh:mm" .* got "sunday 5am"/],
    ['a 30-minute maintenance window', () => ServiceCache.valkey({ maintenanceWindow: 'sun:05:00-sun:05:30' }), /maintenanceWindow must span at least 60 minutes, got "sun:05:00-sun:05:30" \(30 minutes\)/],
    ['a 59-minute snapshot window', () => ServiceCache.valkey({ snapshotWindow: '23:30-00:29' }), /snapshotWindow must span at least 60 minutes, got "23:30-00:29" \(59 minutes\)/],
    ['an AUTH token on serverless', () => ServiceCache.serverless({ auth: CacheAuth.authToken() }), /auth must be CacheAuth.password\(\) or CacheAuth.iam\(\) \(serverless caches take no AUTH token\), got CacheAuth.authToken\(\)/],
    ['a serverless storage limit of 0', () => ServiceCache.serverless({ maxDataStorageGb: 0 }), /maxDataStorageGb must be an integer between 1 and 5000, got 0/],
    ['a serverless storage limit above 5000', () => ServiceCache.serverless({ maxDataStorageGb: 5001 }), /maxDataStorageGb must be an integer between 1 and 5000, got 5001/],
    ['an ECPU limit below 1000', () => ServiceCache.serverless({ maxEcpuPerSecond: 999 }), /maxEcpuPerSecond must be an integer between 1000 and 15000000, got 999/],
    ['an ECPU limit above 15000000', () => ServiceCache.serverless({ maxEcpuPerSecond: 15000001 }), /got 15000001/],
    ['a serverless major version that does not exist', () => ServiceCache.serverless({ engine: CacheEngine.REDIS_OSS, majorEngineVersion: '8' }), /majorEngineVersion must be one of "7", got "8"/],
    ['a bad snapshot time', () => ServiceCache.serverless({ dailySnapshotTime: '25:00' }), /dailySnapshotTime must be a UTC time "HH:MM", got "25:00"/],
    ['an access string that does not enable the user', () => CacheAuth.password({ accessString: 'off ~*' }) as any, /accessString must be an ACL access string that starts with "on"/],
    ['an empty imported host', () => ServiceCache.fromAttributes({ host: '', port: 6379 }), /host must not be empty, got ""/],
    ['an imported port of 0', () => ServiceCache.fromAttributes({ host: 'h', port: 0 }), /port must be an integer between 1 and 65535, got 0/],
  ])('fails on %s', (_name, create, message) => {
    expect(create).toThrow(message);
  });

  test.each<[string, () => ServiceCache, MicroserviceAlarmOptions, string]>([
    ['a cache alarm percent above 100', () => ServiceCache.valkey(), { cache: { memory: { threshold: 101 } } }, 'alarms.cache.memory.threshold must be between 1 and 100, got 101'],
    ['a serverless ECPU alarm percent of 0', () => ServiceCache.serverless(), { cache: { ecpu: { threshold: 0 } } }, 'alarms.cache.ecpu.threshold must be between 1 and 100, got 0'],
    ['a connection threshold above 65000', () => ServiceCache.valkey(), { cache: { connections: { threshold: 65001 } } }, 'alarms.cache.connections.threshold must be between 1 and 65000, got 65001'],
  ])('fails on %s', (_name, cache, alarms, message) => {
    expect(() => new Microservice(new Stack(testApp(), 'S'), 'Svc', { image: IMAGE, cache: cache(), alarms }))
      .toThrow(`Invalid props for Microservice 'S/Svc':\n  - ${message}`);
  });

  test('accepts the edges', () => {
    expect(() => ServiceCache.valkey({ replicas: 0 })).not.toThrow();
    expect(() => ServiceCache.valkey({ replicas: 5, port: 1024, snapshotRetentionDays: 0 })).not.toThrow();
    expect(() => ServiceCache.valkey({ port: 65535, snapshotRetentionDays: 35, maintenanceWindow: 'sat:23:30-sun:00:30', snapshotWindow: '23:30-00:30' })).not.toThrow();
    expect(() => ServiceCache.valkey({ engineVersion: '7.2', auth: CacheAuth.iam() })).not.toThrow();
    expect(() => ServiceCache.valkey({ engine: CacheEngine.REDIS_OSS, engineVersion: '7.0', auth: CacheAuth.iam() })).not.toThrow();
    expect(() => ServiceCache.serverless({ maxDataStorageGb: 1, maxEcpuPerSecond: 1000 })).not.toThrow();
    expect(() => ServiceCache.serverless({ maxDataStorageGb: 5000, maxEcpuPerSecond: 15000000, auth: CacheAuth.iam() })).not.toThrow();
    expect(() => ServiceCache.fromAttributes({ host: 'h', port: 1 })).not.toThrow();
  });
});

test('a cache keeps the service stack well under 500 resources and passes on an empty duration', () => {
  const stack = new Stack(testApp(), 'S');
  new Microservice(stack, 'Svc', { image: IMAGE, cache: ServiceCache.valkey() });
  expect(Object.keys(Template.fromStack(stack).toJSON().Resources).length).toBeLessThan(100);
  void Duration;
});
