import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CacheAuth } from './cache-auth';
import { fmt, PropErrors } from '../private/validation';

/** The cache engine. */
export enum CacheEngine {
  /** Valkey: the open-source successor of Redis OSS, 20% (node-based) to 33% (serverless) cheaper on ElastiCache. */
  VALKEY = 'valkey',
  /** Redis OSS. */
  REDIS_OSS = 'redis',
}

/** Alarm thresholds of a node-based cache. */
export interface NodeCacheAlarmOptions {
  /** Engine CPU of the busiest node, percent (1-100), average over 5 minutes, 3 periods in a row. @default 80 */
  readonly engineCpuPercent?: number;
  /** Memory used of the fullest node, percent of maxmemory (1-100), 3 periods in a row. @default 80 */
  readonly memoryPercent?: number;
  /** Keys evicted in 5 minutes on any node (0 or more), 2 periods in a row. @default 1000 */
  readonly evictions?: number;
  /** Client connections of the busiest node (1-65000). @default 5000 */
  readonly connections?: number;
  /** Replication lag of any replica, seconds (with replicas only). @default 1 */
  readonly replicationLagSeconds?: number;
}

/** Alarm thresholds of a serverless cache. */
export interface ServerlessCacheAlarmOptions {
  /** ECPUs per second, percent of `maxEcpuPerSecond` (1-100), 3 minutes in a row. @default 80 */
  readonly ecpuPercent?: number;
  /** Data stored, percent of `maxDataStorageGb` (1-100), 3 periods in a row. @default 80 */
  readonly storagePercent?: number;
  /** Commands throttled in 5 minutes (1 or more). @default 1 */
  readonly throttledCommands?: number;
  /** p99 read latency, microseconds (1 or more), 3 periods in a row. @default 2000 */
  readonly readLatencyMicros?: number;
}

/** Options of {@link ServiceCache.valkey}: a node-based replication group (cluster mode off). */
export interface NodeCacheOptions {
  /** @default CacheEngine.VALKEY */
  readonly engine?: CacheEngine;
  /**
   * Engine version: Valkey 7.2, 8.0, 8.1, 8.2, 9.0 or 9.1; Redis OSS 6.0, 6.2, 7.0 or 7.1.
   *
   * @default - '8.2' for Valkey, '7.1' for Redis OSS
   */
  readonly engineVersion?: string;
  /**
   * Node type, such as 'cache.t4g.small' or 'cache.r7g.large'.
   *
   * @default 'cache.t4g.small'
   */
  readonly nodeType?: string;
  /**
   * Read replicas besides the primary, 0 to 5.
   *
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Place the replicas in other AZs than the primary. Needs a replica and automatic failover.
   *
   * @default - true with a replica, false without
   */
  readonly multiAz?: boolean;
  /**
   * Promote a replica when the primary fails. Needs a replica.
   *
   * @default - true with a replica, false without
   */
  readonly automaticFailover?: boolean;
  /**
   * Port, 1024 to 65535.
   *
   * @default 6379
   */
  readonly port?: number;
  /**
   * Engine parameters, in a parameter group created for the cache. Mutually exclusive with `parameterGroupName`.
   *
   * @default - the engine's default parameter group
   */
  readonly parameters?: { [name: string]: string };
  /**
   * An existing parameter group. Mutually exclusive with `parameters`.
   *
   * @default - the engine's default parameter group
   */
  readonly parameterGroupName?: string;
  /**
   * Weekly maintenance window, UTC, at least 60 minutes: 'sun:05:00-sun:06:00'.
   *
   * @default - one ElastiCache picks
   */
  readonly maintenanceWindow?: string;
  /**
   * Daily snapshot window, UTC, at least 60 minutes: '03:00-04:00'.
   *
   * @default - one ElastiCache picks
   */
  readonly snapshotWindow?: string;
  /**
   * Days automatic snapshots are kept, 0 (none) to 35.
   *
   * @default 1
   */
  readonly snapshotRetentionDays?: number;
  /**
   * KMS key for encryption at rest.
   *
   * @default - an AWS owned key (encryption at rest is always on)
   */
  readonly kmsKey?: kms.IKey;
  /**
   * How the service authenticates.
   *
   * @default CacheAuth.authToken()
   */
  readonly auth?: CacheAuth;
  /**
   * Encryption in transit. Always on: TLS is required by the cache; false is an error.
   *
   * @default true
   */
  readonly transitEncryption?: boolean;
  /**
   * Alarm thresholds.
   *
   * @default - see NodeCacheAlarmOptions
   */
  readonly alarms?: NodeCacheAlarmOptions;
}

/** Options of {@link ServiceCache.serverless}. */
export interface ServerlessCacheOptions {
  /** @default CacheEngine.VALKEY */
  readonly engine?: CacheEngine;
  /**
   * Major engine version: Valkey 7, 8 or 9; Redis OSS 7.
   *
   * @default - '8' for Valkey, '7' for Redis OSS
   */
  readonly majorEngineVersion?: string;
  /**
   * Most data the cache may hold, GB, 1 to 5000: a cost ceiling.
   *
   * @default 10
   */
  readonly maxDataStorageGb?: number;
  /**
   * Most ElastiCache Processing Units per second, 1000 to 15000000: a cost ceiling.
   *
   * @default 10000
   */
  readonly maxEcpuPerSecond?: number;
  /**
   * Days automatic snapshots are kept, 0 (none) to 35.
   *
   * @default 1
   */
  readonly snapshotRetentionDays?: number;
  /**
   * Daily snapshot time, UTC, 'HH:MM'.
   *
   * @default - one ElastiCache picks
   */
  readonly dailySnapshotTime?: string;
  /**
   * KMS key for encryption at rest.
   *
   * @default - an AWS owned key (encryption at rest is always on)
   */
  readonly kmsKey?: kms.IKey;
  /**
   * How the service authenticates: `password()` or `iam()` (serverless caches take no AUTH token).
   *
   * @default CacheAuth.password()
   */
  readonly auth?: CacheAuth;
  /**
   * Encryption in transit. Always on for serverless caches; false is an error.
   *
   * @default true
   */
  readonly transitEncryption?: boolean;
  /**
   * Alarm thresholds.
   *
   * @default - see ServerlessCacheAlarmOptions
   */
  readonly alarms?: ServerlessCacheAlarmOptions;
}

/** A cache owned elsewhere, for {@link ServiceCache.fromAttributes}. */
export interface CacheAttributes {
  /** Primary endpoint host. */
  readonly host: string;
  /** Port, 1 to 65535. */
  readonly port: number;
  /** Reader endpoint host. @default - none */
  readonly readerHost?: string;
  /**
   * The cache's security group: the service's tasks are admitted on `port`, by a rule created in the service's stack.
   *
   * @default - no rule: the owner admits the service
   */
  readonly securityGroup?: ec2.ISecurityGroup;
  /** The secret holding the AUTH token or the user's password (plain string). @default - none (IAM or no stored credential) */
  readonly secret?: secretsmanager.ISecret;
  /** The RBAC user name, for `password` and `iam`. @default - none (AUTH token) */
  readonly username?: string;
  /** TLS: must be true; the library does not connect services to caches without it. @default true */
  readonly tls?: boolean;
}

const NODE_FAMILIES: { [family: string]: string[] } = {
  t3: ['micro', 'small', 'medium'],
  t4g: ['micro', 'small', 'medium'],
  m5: ['large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'],
  m6g: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  m7g: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  r5: ['large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'],
  r6g: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  r7g: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
  c7gn: ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'],
};

/** Node types of current generations that ElastiCache offers for Valkey and Redis OSS. */
export const CACHE_NODE_TYPES: readonly string[] = Object.entries(NODE_FAMILIES)
  .flatMap(([family, sizes]) => sizes.map((size) => `cache.${family}.${size}`));

export const ENGINE_VERSIONS: { [engine: string]: string[] } = {
  valkey: ['7.2', '8.0', '8.1', '8.2', '9.0', '9.1'],
  redis: ['6.0', '6.2', '7.0', '7.1'],
};
/** Versions from which the engine accepts IAM authentication. */
const IAM_FROM: { [engine: string]: string } = { valkey: '7.2', redis: '7.0' };
export const SERVERLESS_MAJOR_VERSIONS: { [engine: string]: string[] } = { valkey: ['7', '8', '9'], redis: ['7'] };
const DEFAULT_VERSION: { [engine: string]: string } = { valkey: '8.2', redis: '7.1' };
const DEFAULT_MAJOR: { [engine: string]: string } = { valkey: '8', redis: '7' };

const DAYS = 'sun|mon|tue|wed|thu|fri|sat';
const MAINTENANCE_WINDOW = new RegExp(`^(${DAYS}):([01]\\d|2[0-3]):([0-5]\\d)-(${DAYS}):([01]\\d|2[0-3]):([0-5]\\d)$`);
const DAILY_WINDOW = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

function versionAtLeast(version: string, min: string): boolean {
  const [a, b] = version.split('.').map(Number);
  const [c, d] = min.split('.').map(Number);
  return a > c || (a === c && (b ?? 0) >= (d ?? 0));
}

/** Resolved settings of a node-based cache. */
export interface ResolvedNodeCache {
  readonly kind: 'node';
  readonly engine: CacheEngine;
  readonly engineVersion: string;
  readonly nodeType: string;
  readonly replicas: number;
  readonly multiAz: boolean;
  readonly automaticFailover: boolean;
  readonly port: number;
  readonly parameters?: { [name: string]: string };
  readonly parameterGroupName?: string;
  readonly maintenanceWindow?: string;
  readonly snapshotWindow?: string;
  readonly snapshotRetentionDays: number;
  readonly kmsKey?: kms.IKey;
  readonly auth: CacheAuth;
  readonly alarms: Required<NodeCacheAlarmOptions>;
}

/** Resolved settings of a serverless cache. */
export interface ResolvedServerlessCache {
  readonly kind: 'serverless';
  readonly engine: CacheEngine;
  readonly majorEngineVersion: string;
  readonly maxDataStorageGb: number;
  readonly maxEcpuPerSecond: number;
  readonly snapshotRetentionDays: number;
  readonly dailySnapshotTime?: string;
  readonly kmsKey?: kms.IKey;
  readonly auth: CacheAuth;
  readonly alarms: Required<ServerlessCacheAlarmOptions>;
}

/** Resolved attributes of an imported cache. */
export interface ResolvedImportedCache extends CacheAttributes {
  readonly kind: 'imported';
}

/**
 * The service's cache, reachable only by the service's tasks, encrypted in transit and at rest,
 * with authentication always on. The service receives the endpoint as environment variables and
 * the credential as an ECS secret.
 *
 * @example
 * cache: ServiceCache.valkey()                                  // node-based Valkey, primary + replica
 * cache: ServiceCache.serverless({ maxDataStorageGb: 5 })
 * cache: ServiceCache.fromAttributes({ host, port, securityGroup, secret })
 */
export abstract class ServiceCache {
  /** A node-based replication group: Valkey by default, Redis OSS with `engine`. */
  public static valkey(options: NodeCacheOptions = {}): ServiceCache {
    return new NodeServiceCache(options);
  }

  /** ElastiCache Serverless: Valkey by default, with usage limits. */
  public static serverless(options: ServerlessCacheOptions = {}): ServiceCache {
    return new ServerlessServiceCache(options);
  }

  /** A cache owned elsewhere. */
  public static fromAttributes(attributes: CacheAttributes): ServiceCache {
    return new ImportedServiceCache(attributes);
  }

  /** The resolved, validated settings. */
  public abstract readonly settings: ResolvedNodeCache | ResolvedServerlessCache | ResolvedImportedCache;
}

class NodeServiceCache extends ServiceCache {
  public readonly settings: ResolvedNodeCache;

  constructor(o: NodeCacheOptions) {
    super();
    const engine = o.engine ?? CacheEngine.VALKEY;
    const replicas = o.replicas ?? 1;
    const auth = o.auth ?? CacheAuth.authToken();
    const engineVersion = o.engineVersion ?? DEFAULT_VERSION[engine];
    const errors = new PropErrors('ServiceCache.valkey');
    errors.oneOf('nodeType', o.nodeType, CACHE_NODE_TYPES);
    errors.oneOf('engineVersion', o.engineVersion, ENGINE_VERSIONS[engine]);
    errors.integer('replicas', o.replicas, 0, 5);
    errors.integer('port', o.port, 1024, 65535);
    errors.integer('snapshotRetentionDays', o.snapshotRetentionDays, 0, 35);
    if (replicas === 0 && o.automaticFailover === true) {
      errors.add('automaticFailover needs a replica to promote: set replicas to 1-5 or automaticFailover to false, got automaticFailover true with replicas 0');
    }
    if (replicas === 0 && o.multiAz === true) {
      errors.add('multiAz needs a replica in another AZ: set replicas to 1-5 or multiAz to false, got multiAz true with replicas 0 (one node)');
    }
    if (o.multiAz === true && o.automaticFailover === false) {
      errors.add('multiAz requires automaticFailover: give automaticFailover true or multiAz false, got multiAz true with automaticFailover false');
    }
    if (o.transitEncryption === false) {
      errors.add('transitEncryption must be true (services reach their cache over TLS only), got false');
    }
    errors.exclusive('parameters', o.parameters, 'parameterGroupName', o.parameterGroupName);
    errors.text('parameterGroupName', o.parameterGroupName);
    for (const name of Object.keys(o.parameters ?? {})) errors.text('parameters key', name, /^[a-z0-9-]+$/, 'a parameter name such as "maxmemory-policy"');
    if (o.maintenanceWindow !== undefined) windowErrors(errors, 'maintenanceWindow', o.maintenanceWindow, true);
    if (o.snapshotWindow !== undefined) windowErrors(errors, 'snapshotWindow', o.snapshotWindow, false);
    if (auth.kind === 'iam' && ENGINE_VERSIONS[engine].includes(engineVersion) && !versionAtLeast(engineVersion, IAM_FROM[engine])) {
      errors.add(`auth CacheAuth.iam() needs ${engine === CacheEngine.VALKEY ? 'Valkey' : 'Redis OSS'} ${IAM_FROM[engine]} or later, got engineVersion ${fmt(engineVersion)}`);
    }
    const a = o.alarms ?? {};
    errors.range('alarms.engineCpuPercent', a.engineCpuPercent, 1, 100);
    errors.range('alarms.memoryPercent', a.memoryPercent, 1, 100);
    errors.range('alarms.evictions', a.evictions, 0, Number.MAX_SAFE_INTEGER);
    errors.integer('alarms.connections', a.connections, 1, 65000);
    errors.range('alarms.replicationLagSeconds', a.replicationLagSeconds, 0.001, 3600);
    errors.throwIfAny();

    this.settings = {
      kind: 'node',
      engine,
      engineVersion,
      nodeType: o.nodeType ?? 'cache.t4g.small',
      replicas,
      multiAz: o.multiAz ?? replicas > 0,
      automaticFailover: o.automaticFailover ?? replicas > 0,
      port: o.port ?? 6379,
      parameters: o.parameters,
      parameterGroupName: o.parameterGroupName,
      maintenanceWindow: o.maintenanceWindow,
      snapshotWindow: o.snapshotWindow,
      snapshotRetentionDays: o.snapshotRetentionDays ?? 1,
      kmsKey: o.kmsKey,
      auth,
      alarms: {
        engineCpuPercent: a.engineCpuPercent ?? 80,
        memoryPercent: a.memoryPercent ?? 80,
        evictions: a.evictions ?? 1000,
        connections: a.connections ?? 5000,
        replicationLagSeconds: a.replicationLagSeconds ?? 1,
      },
    };
  }
}

class ServerlessServiceCache extends ServiceCache {
  public readonly settings: ResolvedServerlessCache;

  constructor(o: ServerlessCacheOptions) {
    super();
    const engine = o.engine ?? CacheEngine.VALKEY;
    const auth = o.auth ?? CacheAuth.password();
    const errors = new PropErrors('ServiceCache.serverless');
    errors.oneOf('majorEngineVersion', o.majorEngineVersion, SERVERLESS_MAJOR_VERSIONS[engine]);
    errors.integer('maxDataStorageGb', o.maxDataStorageGb, 1, 5000);
    errors.integer('maxEcpuPerSecond', o.maxEcpuPerSecond, 1000, 15000000);
    errors.integer('snapshotRetentionDays', o.snapshotRetentionDays, 0, 35);
    errors.text('dailySnapshotTime', o.dailySnapshotTime, TIME, 'a UTC time "HH:MM"');
    if (auth.kind === 'authToken') {
      errors.add('auth must be CacheAuth.password() or CacheAuth.iam() (serverless caches take no AUTH token), got CacheAuth.authToken()');
    }
    if (o.transitEncryption === false) {
      errors.add('transitEncryption must be true (serverless caches always use TLS), got false');
    }
    const a = o.alarms ?? {};
    errors.range('alarms.ecpuPercent', a.ecpuPercent, 1, 100);
    errors.range('alarms.storagePercent', a.storagePercent, 1, 100);
    errors.integer('alarms.throttledCommands', a.throttledCommands, 1, Number.MAX_SAFE_INTEGER);
    errors.range('alarms.readLatencyMicros', a.readLatencyMicros, 1, 10_000_000);
    errors.throwIfAny();

    this.settings = {
      kind: 'serverless',
      engine,
      majorEngineVersion: o.majorEngineVersion ?? DEFAULT_MAJOR[engine],
      maxDataStorageGb: o.maxDataStorageGb ?? 10,
      maxEcpuPerSecond: o.maxEcpuPerSecond ?? 10000,
      snapshotRetentionDays: o.snapshotRetentionDays ?? 1,
      dailySnapshotTime: o.dailySnapshotTime,
      kmsKey: o.kmsKey,
      auth,
      alarms: {
        ecpuPercent: a.ecpuPercent ?? 80,
        storagePercent: a.storagePercent ?? 80,
        throttledCommands: a.throttledCommands ?? 1,
        readLatencyMicros: a.readLatencyMicros ?? 2000,
      },
    };
  }
}

class ImportedServiceCache extends ServiceCache {
  public readonly settings: ResolvedImportedCache;

  constructor(attrs: CacheAttributes) {
    super();
    const errors = new PropErrors('ServiceCache.fromAttributes');
    errors.text('host', attrs.host);
    errors.text('readerHost', attrs.readerHost);
    errors.text('username', attrs.username);
    errors.integer('port', attrs.port, 1, 65535);
    if (attrs.tls === false) errors.add('tls must be true (services reach their cache over TLS only), got false');
    errors.throwIfAny();
    this.settings = { kind: 'imported', ...attrs };
  }
}

/** Checks a 'ddd:hh:mm-ddd:hh:mm' or 'hh:mm-hh:mm' window of at least 60 minutes. */
function windowErrors(errors: PropErrors, prop: string, value: string, weekly: boolean): void {
  const m = (weekly ? MAINTENANCE_WINDOW : DAILY_WINDOW).exec(value);
  if (!m) {
    errors.add(`${prop} must be ${weekly ? 'a weekly UTC window "ddd:hh:mm-ddd:hh:mm" such as "sun:05:00-sun:06:00"' : 'a daily UTC window "hh:mm-hh:mm" such as "03:00-04:00"'}, got ${fmt(value)}`);
    return;
  }
  const days = DAYS.split('|');
  const minutes = weekly
    ? (s: number) => days.indexOf(m[s]) * 1440 + Number(m[s + 1]) * 60 + Number(m[s + 2])
    : (s: number) => Number(m[s]) * 60 + Number(m[s + 1]);
  const start = minutes(1);
  const end = weekly ? minutes(4) : minutes(3);
  const span = weekly ? (end - start + 7 * 1440) % (7 * 1440) : (end - start + 1440) % 1440;
  if (span < 60) errors.add(`${prop} must span at least 60 minutes, got ${fmt(value)} (${span} minutes)`);
}

