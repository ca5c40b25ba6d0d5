import { ArnFormat, Duration, Names, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ResolvedNodeCache, ResolvedServerlessCache, ServiceCache } from './service-cache';
import { safeName } from '../monitoring/names';

/** What the cache needs of its service. */
export interface MicroserviceCacheProps {
  /** The cache strategy. */
  readonly cache: ServiceCache;
  /** The VPC. */
  readonly vpc: ec2.IVpc;
  /** Private subnets of the cache. */
  readonly subnets: ec2.SubnetSelection;
  /** The service's tasks: the only peer admitted. */
  readonly taskSecurityGroup: ec2.ISecurityGroup;
  /** The application container: receives the endpoint and the credential. */
  readonly container: ecs.ContainerDefinition;
  /** The task role: may connect with IAM authentication. */
  readonly taskRole: iam.IRole;
  /**
   * Create the cache's alarms.
   *
   * @default true
   */
  readonly createAlarms?: boolean;
}

/** Environment variables the service's container receives. */
export const CACHE_ENV = {
  HOST: 'CACHE_HOST',
  PORT: 'CACHE_PORT',
  TLS: 'CACHE_TLS',
  READER_HOST: 'CACHE_READER_HOST',
  READER_PORT: 'CACHE_READER_PORT',
  AUTH_MODE: 'CACHE_AUTH_MODE',
  USERNAME: 'CACHE_USERNAME',
  IAM_CACHE_NAME: 'CACHE_IAM_CACHE_NAME',
  AUTH_TOKEN: 'CACHE_AUTH_TOKEN',
  PASSWORD: 'CACHE_PASSWORD',
} as const;

const SERVERLESS_READER_PORT = 6380;

/**
 * A service's cache: a node-based replication group or a serverless cache in private subnets,
 * TLS required, encrypted at rest, authenticated, with a security group that admits only the
 * service's tasks; or an imported cache. Exposes metrics and creates alarms.
 */
export class MicroserviceCache extends Construct {
  /** Primary endpoint host. */
  public readonly host: string;
  /** Port. */
  public readonly port: number;
  /** Reader endpoint host, when there is one. */
  public readonly readerHost?: string;
  /** The cache's security group (not for an imported cache). */
  public readonly securityGroup?: ec2.SecurityGroup;
  /** The secret with the AUTH token or the user's password, when there is one. */
  public readonly secret?: secretsmanager.ISecret;
  /** The replication group, for `ServiceCache.valkey()`. */
  public readonly replicationGroup?: elasticache.CfnReplicationGroup;
  /** The serverless cache, for `ServiceCache.serverless()`. */
  public readonly serverlessCache?: elasticache.CfnServerlessCache;
  /** The RBAC user of the service, for `password()` and `iam()`. */
  public readonly user?: elasticache.CfnUser;
  /** The RBAC user group. */
  public readonly userGroup?: elasticache.CfnUserGroup;
  /** The cache's alarms, by name. */
  public readonly alarms: { [name: string]: cloudwatch.Alarm } = {};
  /** 'node', 'serverless' or 'imported'. */
  public readonly kind: string;

  private readonly nodeSettings?: ResolvedNodeCache;
  private readonly serverlessSettings?: ResolvedServerlessCache;
  private readonly cacheName?: string;

  constructor(scope: Construct, id: string, props: MicroserviceCacheProps) {
    super(scope, id);
    const s = props.cache.settings;
    this.kind = s.kind;
    const env: { [name: string]: string } = {};

    if (s.kind === 'imported') {
      this.host = s.host;
      this.port = s.port;
      this.readerHost = s.readerHost;
      this.secret = s.secret;
      if (s.securityGroup) {
        // A standalone rule in the service's stack: the owner's stack never references the service.
        new ec2.CfnSecurityGroupIngress(this, 'IngressFromTasks', {
          groupId: s.securityGroup.securityGroupId,
          sourceSecurityGroupId: props.taskSecurityGroup.securityGroupId,
          ipProtocol: 'tcp',
          fromPort: s.port,
          toPort: s.port,
          description: `${scope.node.path} tasks`,
        });
      }
      env[CACHE_ENV.AUTH_MODE] = s.username ? (s.secret ? 'password' : 'iam') : (s.secret ? 'token' : 'none');
      if (s.username) env[CACHE_ENV.USERNAME] = s.username;
    } else {
      const subnetIds = props.vpc.selectSubnets(props.subnets).subnetIds;
      this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: `Cache of ${scope.node.path}: only the tasks of that service may connect`,
        allowAllOutbound: false,
      });
      const auth = s.auth;
      if (auth.kind !== 'iam') {
        const secret = new secretsmanager.Secret(this, 'Secret', {
          description: `${auth.kind === 'authToken' ? 'AUTH token' : 'Password'} of the cache of ${scope.node.path}`,
          generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
        });
        Validations.of(secret).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason: 'ElastiCache AUTH tokens and RBAC passwords change through ModifyReplicationGroup/ModifyUser, for which Secrets Manager has no managed rotation; CacheAuth.iam() gives 15-minute credentials instead (see the README).',
        });
        this.secret = secret;
      }
      let userGroupId: string | undefined;
      if (auth.kind !== 'authToken') {
        const users = this.createUsers(s.engine, auth.kind, auth.accessString);
        this.user = users.user;
        this.userGroup = users.userGroup;
        userGroupId = users.userGroup.ref;
        env[CACHE_ENV.USERNAME] = users.userName;
      }
      env[CACHE_ENV.AUTH_MODE] = auth.kind === 'authToken' ? 'token' : auth.kind;

      if (s.kind === 'node') {
        this.nodeSettings = s;
        const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
          description: `Private subnets of the cache of ${scope.node.path}`,
          subnetIds,
        });
        let parameterGroupName = s.parameterGroupName;
        if (s.parameters) {
          const pg = new elasticache.CfnParameterGroup(this, 'ParameterGroup', {
            cacheParameterGroupFamily: s.engine === 'valkey' ? `valkey${s.engineVersion.split('.')[0]}` : `redis${s.engineVersion.startsWith('6') ? '6.x' : s.engineVersion.split('.')[0]}`,
            description: `Parameters of the cache of ${scope.node.path}`,
            properties: s.parameters,
          });
          parameterGroupName = pg.ref;
        }
        const rg = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
          replicationGroupDescription: `Cache of ${scope.node.path}`,
          engine: s.engine,
          engineVersion: s.engineVersion,
          cacheNodeType: s.nodeType,
          numCacheClusters: s.replicas + 1,
          automaticFailoverEnabled: s.automaticFailover,
          multiAzEnabled: s.multiAz,
          port: s.port,
          cacheSubnetGroupName: subnetGroup.ref,
          securityGroupIds: [this.securityGroup.securityGroupId],
          transitEncryptionEnabled: true,
          transitEncryptionMode: 'required',
          atRestEncryptionEnabled: true,
          kmsKeyId: s.kmsKey?.keyArn,
          authToken: auth.kind === 'authToken' ? this.secret!.secretValue.unsafeUnwrap() : undefined,
          userGroupIds: userGroupId ? [userGroupId] : undefined,
          cacheParameterGroupName: parameterGroupName,
          preferredMaintenanceWindow: s.maintenanceWindow,
          snapshotWindow: s.snapshotWindow,
          snapshotRetentionLimit: s.snapshotRetentionDays,
          autoMinorVersionUpgrade: true,
        });
        this.replicationGroup = rg;
        this.cacheName = rg.ref;
        this.host = rg.attrPrimaryEndPointAddress;
        this.port = s.port;
        this.readerHost = s.replicas > 0 ? rg.attrReaderEndPointAddress : undefined;
        this.securityGroup.connections.allowFrom(props.taskSecurityGroup, ec2.Port.tcp(s.port), `${scope.node.path} tasks`);
        if (auth.kind !== 'authToken') {
          Validations.of(rg).acknowledge({
            id: 'AwsSolutions-AEC6',
            reason: `Clients authenticate as an RBAC user (${auth.kind === 'iam' ? 'IAM' : 'password'}) of the user group; an AUTH token cannot be combined with a user group.`,
          });
        }
        if (!s.multiAz) {
          Validations.of(rg).acknowledge({
            id: 'AwsSolutions-AEC4',
            reason: `The service owner chose a cache without Multi-AZ (replicas: ${s.replicas}${s.replicas > 0 ? ', multiAz: false' : ''}).`,
          });
        }
        if (s.engine === 'redis' && s.port === 6379) {
          Validations.of(rg).acknowledge({
            id: 'AwsSolutions-AEC5',
            reason: 'The default port adds no exposure here: the security group admits only this service\'s tasks, and TLS and authentication are required.',
          });
        }
      } else {
        this.serverlessSettings = s;
        this.cacheName = physicalName(this, 40);
        const sc = new elasticache.CfnServerlessCache(this, 'ServerlessCache', {
          serverlessCacheName: this.cacheName,
          description: `Cache of ${scope.node.path}`,
          engine: s.engine,
          majorEngineVersion: s.majorEngineVersion,
          cacheUsageLimits: {
            dataStorage: { maximum: s.maxDataStorageGb, unit: 'GB' },
            ecpuPerSecond: { maximum: s.maxEcpuPerSecond },
          },
          kmsKeyId: s.kmsKey?.keyArn,
          securityGroupIds: [this.securityGroup.securityGroupId],
          subnetIds,
          userGroupId,
          snapshotRetentionLimit: s.snapshotRetentionDays,
          dailySnapshotTime: s.dailySnapshotTime,
        });
        this.serverlessCache = sc;
        this.host = sc.attrEndpointAddress;
        this.port = Token.asNumber(sc.attrEndpointPort);
        this.readerHost = sc.attrReaderEndpointAddress;
        this.securityGroup.connections.allowFrom(props.taskSecurityGroup, ec2.Port.tcp(6379), `${scope.node.path} tasks`);
        this.securityGroup.connections.allowFrom(props.taskSecurityGroup, ec2.Port.tcp(SERVERLESS_READER_PORT), `${scope.node.path} tasks (reader)`);
        env[CACHE_ENV.READER_PORT] = String(SERVERLESS_READER_PORT);
      }
      if (auth.kind === 'iam') {
        env[CACHE_ENV.IAM_CACHE_NAME] = this.cacheName;
        this.grantConnect(props.taskRole);
      }
      if (props.createAlarms ?? true) this.createAlarms();
    }

    env[CACHE_ENV.HOST] = this.host;
    env[CACHE_ENV.PORT] = Token.isUnresolved(this.port) ? Token.asString(this.port) : String(this.port);
    env[CACHE_ENV.TLS] = 'true';
    if (this.readerHost) env[CACHE_ENV.READER_HOST] = this.readerHost;
    for (const [k, v] of Object.entries(env)) props.container.addEnvironment(k, v);
    if (this.secret) {
      const name = env[CACHE_ENV.AUTH_MODE] === 'token' ? CACHE_ENV.AUTH_TOKEN : CACHE_ENV.PASSWORD;
      props.container.addSecret(name, ecs.Secret.fromSecretsManager(this.secret));
    }
  }

  /**
   * Allows `grantee` to connect with IAM authentication (`elasticache:Connect` on the cache and
   * the service's user). Only for caches created with `CacheAuth.iam()`.
   */
  public grantConnect(grantee: iam.IGrantable): iam.Grant {
    if (!this.user || !this.cacheName) {
      throw new Error(`grantConnect() of the cache of ${this.node.scope?.node.path} needs auth: CacheAuth.iam() on a cache this service creates`);
    }
    const stack = Stack.of(this);
    const cacheArn = stack.formatArn({
      service: 'elasticache',
      resource: this.serverlessCache ? 'serverlesscache' : 'replicationgroup',
      resourceName: this.cacheName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['elasticache:Connect'],
      resourceArns: [cacheArn, this.user.attrArn],
    });
  }

  private createUsers(engine: string, kind: string, accessString: string): { user: elasticache.CfnUser; userGroup: elasticache.CfnUserGroup; userName: string } {
    const base = physicalName(this, 34);
    // IAM authentication needs the user name to equal the user id.
    const userId = `${base}-app`;
    const userName = kind === 'iam' ? userId : 'app';
    // A Redis OSS user group must hold a user named "default": a disabled one. Valkey user groups
    // need none, and take no user without a password or IAM.
    const defaultUser = engine === 'redis' ? new elasticache.CfnUser(this, 'DefaultUser', {
      engine,
      userId: `${base}-dflt`,
      userName: 'default',
      accessString: 'off -@all',
      authenticationMode: { Type: 'no-password-required' },
    }) : undefined;
    const user = new elasticache.CfnUser(this, 'User', {
      engine,
      userId,
      userName,
      accessString,
      authenticationMode: kind === 'iam'
        ? { Type: 'iam' }
        : { Type: 'password', Passwords: [this.secret!.secretValue.unsafeUnwrap()] },
    });
    const userGroup = new elasticache.CfnUserGroup(this, 'UserGroup', {
      engine,
      userGroupId: base,
      userIds: defaultUser ? [defaultUser.ref, user.ref] : [user.ref],
    });
    return { user, userGroup, userName };
  }

  // ---- metrics ----

  /** Engine CPU utilization of the busiest node (AWS/ElastiCache EngineCPUUtilization), average over 5 minutes. Node-based only. */
  public metricEngineCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.maxOverNodes('metricEngineCpuUtilization', 'EngineCPUUtilization', 'Average', props);
  }

  /** Memory used of the fullest node, percent (AWS/ElastiCache DatabaseMemoryUsagePercentage). Node-based only. */
  public metricMemoryUsage(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.maxOverNodes('metricMemoryUsage', 'DatabaseMemoryUsagePercentage', 'Average', props);
  }

  /** Keys evicted, on the node that evicted most (AWS/ElastiCache Evictions), sum over 5 minutes. Node-based only. */
  public metricEvictions(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.maxOverNodes('metricEvictions', 'Evictions', 'Sum', props);
  }

  /** Client connections of the busiest node (AWS/ElastiCache CurrConnections), maximum. Node-based only. */
  public metricCurrentConnections(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.maxOverNodes('metricCurrentConnections', 'CurrConnections', 'Maximum', props);
  }

  /**
   * Replication lag of the most lagging replica, seconds (AWS/ElastiCache ReplicationLag), maximum
   * over every node: after a failover any node may be a replica, and the primary publishes none.
   * Node-based with replicas only.
   */
  public metricReplicationLag(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    const s = this.requireNode('metricReplicationLag');
    if (s.replicas === 0) throw new Error(`metricReplicationLag() of the cache of ${this.node.scope?.node.path} needs a replica, got replicas 0`);
    return this.maxOverNodes('metricReplicationLag', 'ReplicationLag', 'Maximum', props);
  }

  /** ElastiCache Processing Units consumed (AWS/ElastiCache ElastiCacheProcessingUnits), sum per minute. Serverless only. */
  public metricProcessingUnits(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.serverlessMetric('metricProcessingUnits', 'ElastiCacheProcessingUnits', 'Sum', { period: Duration.minutes(1), ...props });
  }

  /** Bytes stored (AWS/ElastiCache BytesUsedForCache), maximum over 5 minutes. Serverless only. */
  public metricBytesUsed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.serverlessMetric('metricBytesUsed', 'BytesUsedForCache', 'Maximum', props);
  }

  /** Commands throttled for exceeding the ECPU limit (AWS/ElastiCache ThrottledCmds), sum over 5 minutes. Serverless only. */
  public metricThrottledCommands(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.serverlessMetric('metricThrottledCommands', 'ThrottledCmds', 'Sum', props);
  }

  /** Latency of successful reads, microseconds (AWS/ElastiCache SuccessfulReadRequestLatency), p99 over 5 minutes. Serverless only. */
  public metricReadLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.serverlessMetric('metricReadLatency', 'SuccessfulReadRequestLatency', 'p99', props);
  }

  /** Latency of successful writes, microseconds (AWS/ElastiCache SuccessfulWriteRequestLatency), p99 over 5 minutes. Serverless only. */
  public metricWriteLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.serverlessMetric('metricWriteLatency', 'SuccessfulWriteRequestLatency', 'p99', props);
  }

  private requireNode(method: string): ResolvedNodeCache {
    if (!this.nodeSettings) throw new Error(`${method}() of the cache of ${this.node.scope?.node.path} is for node-based caches (ServiceCache.valkey()), this one is ${this.kind}`);
    return this.nodeSettings;
  }

  private maxOverNodes(method: string, metricName: string, statistic: string, props: cloudwatch.MetricOptions | undefined): cloudwatch.IMetric {
    const s = this.requireNode(method);
    const metrics: { [id: string]: cloudwatch.IMetric } = {};
    for (let i = 1; i <= s.replicas + 1; i++) {
      metrics[`${metricName.toLowerCase()}_n${i}`] = new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { CacheClusterId: `${this.cacheName}-00${i}` },
        statistic,
        period: Duration.minutes(5),
        ...props,
      });
    }
    const ids = Object.keys(metrics);
    if (ids.length === 1) return metrics[ids[0]];
    return new cloudwatch.MathExpression({
      expression: `MAX([${ids.join(',')}])`,
      usingMetrics: metrics,
      label: `${metricName} (max over nodes)`,
      period: props?.period ?? Duration.minutes(5),
    });
  }

  private serverlessMetric(method: string, metricName: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (!this.serverlessSettings) throw new Error(`${method}() of the cache of ${this.node.scope?.node.path} is for serverless caches (ServiceCache.serverless()), this one is ${this.kind}`);
    return new cloudwatch.Metric({
      namespace: 'AWS/ElastiCache',
      metricName,
      dimensionsMap: { clusterId: this.cacheName! },
      statistic,
      period: Duration.minutes(5),
      ...props,
    });
  }

  private alarmName(id: string): string {
    return safeName(`${Stack.of(this).stackName}-${this.node.scope?.node.id ?? ''}-Cache${id}`, 255);
  }

  private createAlarms(): void {
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, periods: number, description: string) => {
      this.alarms[id] = new cloudwatch.Alarm(this, `${id}Alarm`, {
        alarmName: this.alarmName(id),
        metric,
        threshold,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `${description} (${this.node.scope?.node.path})`,
      });
    };
    if (this.nodeSettings) {
      const a = this.nodeSettings.alarms;
      alarm('EngineCpu', this.metricEngineCpuUtilization(), a.engineCpuPercent, 3, `Cache engine CPU above ${a.engineCpuPercent}% for 15 minutes`);
      alarm('Memory', this.metricMemoryUsage(), a.memoryPercent, 3, `Cache memory above ${a.memoryPercent}% for 15 minutes`);
      alarm('Evictions', this.metricEvictions(), a.evictions, 2, `Cache evicting more than ${a.evictions} keys per 5 minutes for 10 minutes`);
      alarm('Connections', this.metricCurrentConnections(), a.connections, 3, `Cache connections above ${a.connections} for 15 minutes`);
      if (this.nodeSettings.replicas > 0) {
        alarm('ReplicationLag', this.metricReplicationLag(), a.replicationLagSeconds, 3, `Cache replication lag above ${a.replicationLagSeconds} s for 15 minutes`);
      }
    } else if (this.serverlessSettings) {
      const s = this.serverlessSettings;
      const a = s.alarms;
      alarm('Ecpu', this.metricProcessingUnits(), (a.ecpuPercent / 100) * s.maxEcpuPerSecond * 60, 3,
        `Cache ECPUs above ${a.ecpuPercent}% of the ${s.maxEcpuPerSecond}/s limit for 3 minutes`);
      alarm('Storage', this.metricBytesUsed(), (a.storagePercent / 100) * s.maxDataStorageGb * 1e9, 3,
        `Cache data above ${a.storagePercent}% of the ${s.maxDataStorageGb} GB limit for 15 minutes`);
      this.alarms.ThrottledCommands = new cloudwatch.Alarm(this, 'ThrottledCommandsAlarm', {
        alarmName: this.alarmName('ThrottledCommands'),
        metric: this.metricThrottledCommands(),
        threshold: a.throttledCommands,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `Cache throttled ${a.throttledCommands} or more commands in 5 minutes (${this.node.scope?.node.path})`,
      });
      alarm('ReadLatency', this.metricReadLatency(), a.readLatencyMicros, 3, `Cache p99 read latency above ${a.readLatencyMicros} µs for 15 minutes`);
    }
  }
}

/** A lower-case name unique in the account: letters, digits and single hyphens, starting with a letter. */
function physicalName(scope: Construct, maxLength: number): string {
  const raw = Names.uniqueResourceName(scope, { maxLength: maxLength - 1, separator: '-' }).toLowerCase();
  const clean = raw.replace(/[^a-z0-9-]/g, '').replace(/-+/g, '-').replace(/^-|-$/g, '');
  return `c${clean}`.slice(0, maxLength).replace(/-$/, '');
}
