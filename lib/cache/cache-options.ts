import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { CacheAuth } from './cache-auth';

/** The cache engine. */
export enum CacheEngine {
  /** Valkey: the open-source successor of Redis OSS, 20% (node-based) to 33% (serverless) cheaper on ElastiCache. */
  VALKEY = 'valkey',
  /** Redis OSS. */
  REDIS_OSS = 'redis',
}

/** Options of {@link ServiceCache.valkey}: a node-based replication group (cluster mode off). */
export interface NodeCacheOptions {
  /**
   * The engine: Valkey or Redis OSS.
   *
   * @default CacheEngine.VALKEY
   */
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
   * @default - true with a replica and automatic failover, false otherwise
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
}

/** Options of {@link ServiceCache.serverless}. */
export interface ServerlessCacheOptions {
  /**
   * The engine: Valkey or Redis OSS.
   *
   * @default CacheEngine.VALKEY
   */
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
