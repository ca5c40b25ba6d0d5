import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ResolvedServerlessCache } from './cache-settings';
import { CACHE_ENV } from './cache-env';
import { MicroserviceCache } from './microservice-cache';
import type { CacheFaultTarget, ServicePart } from '../private/binding';
import type { ServiceWithNetwork } from '../private/feature';
import { physicalName } from '../private/names';

/** The port of a serverless cache's reader endpoint. */
const SERVERLESS_READER_PORT = 6380;

/**
 * An ElastiCache Serverless cache with usage limits, in private subnets, admitting only the
 * service's tasks (`ServiceCache.serverless()`).
 */
export class ServerlessCache extends MicroserviceCache {
  /** @internal */
  public static _create(scope: Construct, id: string, settings: ResolvedServerlessCache, context: ServiceWithNetwork): ServerlessCache {
    return new ServerlessCache(scope, id, settings, context);
  }

  public readonly host: string;
  public readonly port: number;
  public readonly readerHost?: string;
  public readonly securityGroup?: ec2.SecurityGroup;
  public readonly secret?: secretsmanager.ISecret;
  /** The serverless cache. */
  public readonly cfnServerlessCache: elasticache.CfnServerlessCache;
  /** @internal */
  public readonly _part: ServicePart;
  /** @internal */
  public readonly _faultTarget: CacheFaultTarget;
  private readonly serverlessCacheName: string;
  private readonly settings: ResolvedServerlessCache;

  private constructor(scope: Construct, id: string, s: ResolvedServerlessCache, context: ServiceWithNetwork) {
    super(scope, id);
    this.settings = s;
    this.securityGroup = this._createSecurityGroup(context);
    const auth = this._bindAuth(s.auth, { engine: s.engine, serverless: true, servicePath: context.path });
    this.secret = auth.secret;
    this.serverlessCacheName = physicalName(this, 40);
    const sc = new elasticache.CfnServerlessCache(this, 'ServerlessCache', {
      serverlessCacheName: this.serverlessCacheName,
      description: `Cache of ${context.path}`,
      engine: s.engine,
      majorEngineVersion: s.majorEngineVersion,
      cacheUsageLimits: {
        dataStorage: { maximum: s.maxDataStorageGb, unit: 'GB' },
        ecpuPerSecond: { maximum: s.maxEcpuPerSecond },
      },
      kmsKeyId: s.kmsKey?.keyArn,
      securityGroupIds: [this.securityGroup.securityGroupId],
      subnetIds: context.vpc.selectSubnets(context.subnets).subnetIds,
      userGroupId: auth.userGroup?.ref,
      snapshotRetentionLimit: s.snapshotRetentionDays,
      dailySnapshotTime: s.dailySnapshotTime,
    });
    this.cfnServerlessCache = sc;
    this.host = sc.attrEndpointAddress;
    this.port = Token.asNumber(sc.attrEndpointPort);
    this.readerHost = sc.attrReaderEndpointAddress;
    this.securityGroup.connections.allowFrom(context.securityGroup, ec2.Port.tcp(6379), `${context.path} tasks`);
    this.securityGroup.connections.allowFrom(context.securityGroup, ec2.Port.tcp(SERVERLESS_READER_PORT), `${context.path} tasks (reader)`);
    this._wireAuth(context, this.serverlessCacheName, { [CACHE_ENV.READER_PORT]: String(SERVERLESS_READER_PORT) });
    this._part = this.part();
    this._faultTarget = {
      ports: [6379, SERVERLESS_READER_PORT],
      hosts: [this.host, this.readerHost],
      azPower: { whyNot: 'FIS has no action for ElastiCache Serverless (its AZ power action "does not support the serverless deployment option": FIS actions reference)' },
    };
  }

  /** @internal */
  protected get _cacheName(): string {
    return this.serverlessCacheName;
  }

  /** ElastiCache Processing Units consumed (AWS/ElastiCache ElastiCacheProcessingUnits), sum per minute. */
  public metricProcessingUnits(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ElastiCacheProcessingUnits', 'Sum', { period: Duration.minutes(1), ...props });
  }

  /** Bytes stored (AWS/ElastiCache BytesUsedForCache), maximum over 5 minutes. */
  public metricBytesUsed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('BytesUsedForCache', 'Maximum', props);
  }

  /** Commands throttled for exceeding the ECPU limit (AWS/ElastiCache ThrottledCmds), sum over 5 minutes. */
  public metricThrottledCommands(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ThrottledCmds', 'Sum', props);
  }

  /** Latency of successful reads, microseconds (AWS/ElastiCache SuccessfulReadRequestLatency), p99 over 5 minutes. */
  public metricReadLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('SuccessfulReadRequestLatency', 'p99', props);
  }

  /** Latency of successful writes, microseconds (AWS/ElastiCache SuccessfulWriteRequestLatency), p99 over 5 minutes. */
  public metricWriteLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('SuccessfulWriteRequestLatency', 'p99', props);
  }

  private part(): ServicePart {
    const s = this.settings;
    const graph = (title: string, left: cloudwatch.IMetric[], right?: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left, right, width: 8, height: 6 });
    return {
      alarms: [
        // ECPUs per minute against the per-second limit; bytes against the GB limit.
        { key: 'cache.ecpu', metric: (period) => this.metricProcessingUnits({ period }), toMetricUnit: (pct) => (pct / 100) * s.maxEcpuPerSecond * 60 },
        { key: 'cache.storage', metric: (period) => this.metricBytesUsed({ period }), toMetricUnit: (pct) => (pct / 100) * s.maxDataStorageGb * 1e9 },
        { key: 'cache.throttledCommands', metric: (period) => this.metricThrottledCommands({ period }) },
        { key: 'cache.readLatency', metric: (period) => this.metricReadLatency({ period }) },
      ],
      dashboardRows: () => [[
        graph('Cache: ECPUs per minute', [this.metricProcessingUnits()]),
        graph('Cache: bytes stored and throttled commands', [this.metricBytesUsed()], [this.metricThrottledCommands()]),
        graph('Cache: read and write latency p99 (µs)', [this.metricReadLatency(), this.metricWriteLatency()]),
      ]],
    };
  }

  private metric(metricName: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ElastiCache',
      metricName,
      dimensionsMap: { clusterId: this.serverlessCacheName },
      statistic,
      period: Duration.minutes(5),
      ...props,
    });
  }
}
