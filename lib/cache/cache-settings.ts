import type * as kms from 'aws-cdk-lib/aws-kms';
import type { CacheAuth } from './cache-auth';
import { CacheAttributes, CacheEngine, NodeCacheOptions, ServerlessCacheOptions } from './cache-options';
import { fmt, PropErrors } from '../private/validation';

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
export const SERVERLESS_MAJOR_VERSIONS: { [engine: string]: string[] } = { valkey: ['7', '8', '9'], redis: ['7'] };
const DEFAULT_VERSION: { [engine: string]: string } = { valkey: '8.2', redis: '7.1' };
const DEFAULT_MAJOR: { [engine: string]: string } = { valkey: '8', redis: '7' };

const DAYS = 'sun|mon|tue|wed|thu|fri|sat';
const MAINTENANCE_WINDOW = new RegExp(`^(${DAYS}):([01]\\d|2[0-3]):([0-5]\\d)-(${DAYS}):([01]\\d|2[0-3]):([0-5]\\d)$`);
const DAILY_WINDOW = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Resolved settings of a node-based cache. */
export interface ResolvedNodeCache {
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
}

/** Resolved settings of a serverless cache. */
export interface ResolvedServerlessCache {
  readonly engine: CacheEngine;
  readonly majorEngineVersion: string;
  readonly maxDataStorageGb: number;
  readonly maxEcpuPerSecond: number;
  readonly snapshotRetentionDays: number;
  readonly dailySnapshotTime?: string;
  readonly kmsKey?: kms.IKey;
  readonly auth: CacheAuth;
}

/** Validates and resolves `ServiceCache.valkey()` options. */
export function resolveNodeCache(o: NodeCacheOptions, defaultAuth: CacheAuth): ResolvedNodeCache {
  const engine = o.engine ?? CacheEngine.VALKEY;
  const replicas = o.replicas ?? 1;
  const auth = o.auth ?? defaultAuth;
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
  if (ENGINE_VERSIONS[engine].includes(engineVersion)) {
    auth._validate(errors, { engine, engineVersion, serverless: false, servicePath: '' });
  }
  errors.throwIfAny();
  return {
    engine,
    engineVersion,
    nodeType: o.nodeType ?? 'cache.t4g.small',
    replicas,
    // Multi-AZ needs automatic failover (ElastiCache refuses the one without the other): off by default when failover is.
    multiAz: o.multiAz ?? (replicas > 0 && o.automaticFailover !== false),
    automaticFailover: o.automaticFailover ?? replicas > 0,
    port: o.port ?? 6379,
    parameters: o.parameters,
    parameterGroupName: o.parameterGroupName,
    maintenanceWindow: o.maintenanceWindow,
    snapshotWindow: o.snapshotWindow,
    snapshotRetentionDays: o.snapshotRetentionDays ?? 1,
    kmsKey: o.kmsKey,
    auth,
  };
}

/** Validates and resolves `ServiceCache.serverless()` options. */
export function resolveServerlessCache(o: ServerlessCacheOptions, defaultAuth: CacheAuth): ResolvedServerlessCache {
  const engine = o.engine ?? CacheEngine.VALKEY;
  const auth = o.auth ?? defaultAuth;
  const errors = new PropErrors('ServiceCache.serverless');
  errors.oneOf('majorEngineVersion', o.majorEngineVersion, SERVERLESS_MAJOR_VERSIONS[engine]);
  errors.integer('maxDataStorageGb', o.maxDataStorageGb, 1, 5000);
  errors.integer('maxEcpuPerSecond', o.maxEcpuPerSecond, 1000, 15000000);
  errors.integer('snapshotRetentionDays', o.snapshotRetentionDays, 0, 35);
  errors.text('dailySnapshotTime', o.dailySnapshotTime, TIME, 'a UTC time "HH:MM"');
  auth._validate(errors, { engine, serverless: true, servicePath: '' });
  if (o.transitEncryption === false) {
    errors.add('transitEncryption must be true (serverless caches always use TLS), got false');
  }
  errors.throwIfAny();
  return {
    engine,
    majorEngineVersion: o.majorEngineVersion ?? DEFAULT_MAJOR[engine],
    maxDataStorageGb: o.maxDataStorageGb ?? 10,
    maxEcpuPerSecond: o.maxEcpuPerSecond ?? 10000,
    snapshotRetentionDays: o.snapshotRetentionDays ?? 1,
    dailySnapshotTime: o.dailySnapshotTime,
    kmsKey: o.kmsKey,
    auth,
  };
}

/** Validates `ServiceCache.fromAttributes()`. */
export function validateCacheAttributes(attrs: CacheAttributes): void {
  const errors = new PropErrors('ServiceCache.fromAttributes');
  errors.text('host', attrs.host);
  errors.text('readerHost', attrs.readerHost);
  errors.text('username', attrs.username);
  errors.integer('port', attrs.port, 1, 65535);
  if (attrs.tls === false) errors.add('tls must be true (services reach their cache over TLS only), got false');
  errors.throwIfAny();
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

