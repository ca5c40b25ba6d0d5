import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ResolvedNodeCache } from './cache-settings';
import { MicroserviceCache } from './microservice-cache';
import type { CacheFaultTarget, ServicePart } from '../private/binding';
import type { ServiceWithNetwork } from '../private/feature';

/**
 * A node-based ElastiCache replication group (cluster mode off) in private subnets: TLS required,
 * encrypted at rest, authenticated, admitting only the service's tasks (`ServiceCache.valkey()`).
 */
export class NodeBasedCache extends MicroserviceCache {
  /** @internal */
  public static _create(scope: Construct, id: string, settings: ResolvedNodeCache, context: ServiceWithNetwork): NodeBasedCache {
    return new NodeBasedCache(scope, id, settings, context);
  }

  public readonly host: string;
  public readonly port: number;
  public readonly readerHost?: string;
  public readonly securityGroup?: ec2.SecurityGroup;
  public readonly secret?: secretsmanager.ISecret;
  /** The replication group. */
  public readonly replicationGroup: elasticache.CfnReplicationGroup;
  /** @internal */
  public readonly _part: ServicePart;
  /** @internal */
  public readonly _faultTarget: CacheFaultTarget;
  private readonly replicas: number;

  private constructor(scope: Construct, id: string, s: ResolvedNodeCache, context: ServiceWithNetwork) {
    super(scope, id);
    this.replicas = s.replicas;
    this.securityGroup = this._createSecurityGroup(context);
    const auth = this._bindAuth(s.auth, { engine: s.engine, engineVersion: s.engineVersion, serverless: false, servicePath: context.path });
    this.secret = auth.secret;
    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'SubnetGroup', {
      description: `Private subnets of the cache of ${context.path}`,
      subnetIds: context.vpc.selectSubnets(context.subnets).subnetIds,
    });
    let parameterGroupName = s.parameterGroupName;
    if (s.parameters) {
      const pg = new elasticache.CfnParameterGroup(this, 'ParameterGroup', {
        cacheParameterGroupFamily: s.engine === 'valkey' ? `valkey${s.engineVersion.split('.')[0]}` : `redis${s.engineVersion.startsWith('6') ? '6.x' : s.engineVersion.split('.')[0]}`,
        description: `Parameters of the cache of ${context.path}`,
        properties: s.parameters,
      });
      parameterGroupName = pg.ref;
    }
    const rg = new elasticache.CfnReplicationGroup(this, 'ReplicationGroup', {
      replicationGroupDescription: `Cache of ${context.path}`,
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
      authToken: auth.authToken,
      userGroupIds: auth.userGroup ? [auth.userGroup.ref] : undefined,
      cacheParameterGroupName: parameterGroupName,
      preferredMaintenanceWindow: s.maintenanceWindow,
      snapshotWindow: s.snapshotWindow,
      snapshotRetentionLimit: s.snapshotRetentionDays,
      autoMinorVersionUpgrade: true,
    });
    this.replicationGroup = rg;
    this.host = rg.attrPrimaryEndPointAddress;
    this.port = s.port;
    this.readerHost = s.replicas > 0 ? rg.attrReaderEndPointAddress : undefined;
    this.securityGroup.connections.allowFrom(context.securityGroup, ec2.Port.tcp(s.port), `${context.path} tasks`);
    for (const ack of auth.replicationGroupAcknowledgements) Validations.of(rg).acknowledge(ack);
    // A cache without Multi-AZ is the service owner's choice: AwsSolutions-AEC4 stays theirs to acknowledge.
    if (s.engine === 'redis' && s.port === 6379) {
      Validations.of(rg).acknowledge({
        id: 'AwsSolutions-AEC5',
        reason: 'The default port adds no exposure here: the security group admits only this service\'s tasks, and TLS and authentication are required.',
      });
    }
    this._wireAuth(context, rg.ref);
    this._part = this.part();
    this._faultTarget = {
      ports: [s.port],
      hosts: [this.host, ...(this.readerHost ? [this.readerHost] : [])],
      // FIS cuts the power of Multi-AZ replication groups only (FIS actions reference,
      // aws:elasticache:replicationgroup-interrupt-az-power).
      azPower: s.multiAz ? { replicationGroup: rg } : { whyNot: `FIS interrupts the AZ power of Multi-AZ replication groups only, and this cache has multiAz false (replicas ${s.replicas})` },
    };
  }

  /** @internal */
  protected get _cacheName(): string {
    return this.replicationGroup.ref;
  }

  /** Engine CPU utilization of the busiest node (AWS/ElastiCache EngineCPUUtilization), average over 5 minutes. */
  public metricEngineCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.maxOverNodes('EngineCPUUtilization', 'Average', props);
  }

  /** Memory used of the fullest node, percent (AWS/ElastiCache DatabaseMemoryUsagePercentage), average over 5 minutes. */
  public metricMemoryUsage(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.maxOverNodes('DatabaseMemoryUsagePercentage', 'Average', props);
  }

  /** Keys evicted, on the node that evicted most (AWS/ElastiCache Evictions), sum over 5 minutes. */
  public metricEvictions(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.maxOverNodes('Evictions', 'Sum', props);
  }

  /** Client connections of the busiest node (AWS/ElastiCache CurrConnections), maximum over 5 minutes. */
  public metricCurrentConnections(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.maxOverNodes('CurrConnections', 'Maximum', props);
  }

  /**
   * Replication lag of the most lagging replica, seconds (AWS/ElastiCache ReplicationLag), maximum
   * over every node: after a failover any node may be a replica, and the primary publishes none.
   * With replicas only.
   */
  public metricReplicationLag(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    if (this.replicas === 0) throw new Error(`metricReplicationLag() of the cache of ${this.node.scope?.node.path} needs a replica, got replicas 0`);
    return this.maxOverNodes('ReplicationLag', 'Maximum', props);
  }

  private part(): ServicePart {
    const graph = (title: string, left: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left, width: 8, height: 6 });
    return {
      alarms: [
        { key: 'cache.engineCpu', metric: (period) => this.metricEngineCpuUtilization({ period }) },
        { key: 'cache.memory', metric: (period) => this.metricMemoryUsage({ period }) },
        { key: 'cache.evictions', metric: (period) => this.metricEvictions({ period }) },
        { key: 'cache.connections', metric: (period) => this.metricCurrentConnections({ period }) },
        ...(this.replicas > 0 ? [{ key: 'cache.replicationLag' as const, metric: (period: Duration) => this.metricReplicationLag({ period }) }] : []),
      ],
      dashboardRows: () => [[
        graph('Cache: engine CPU and memory (%)', [this.metricEngineCpuUtilization(), this.metricMemoryUsage()]),
        graph('Cache: evictions', [this.metricEvictions()]),
        graph('Cache: connections', [this.metricCurrentConnections()]),
      ]],
    };
  }

  /** The maximum of a per-node metric over every node (`<replication group>-001`, `-002`, ...). */
  private maxOverNodes(metricName: string, statistic: string, props: cloudwatch.MetricOptions | undefined): cloudwatch.IMetric {
    const metrics: { [id: string]: cloudwatch.IMetric } = {};
    for (let i = 1; i <= this.replicas + 1; i++) {
      metrics[`${metricName.toLowerCase()}_n${i}`] = new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { CacheClusterId: `${this.replicationGroup.ref}-00${i}` },
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
}
