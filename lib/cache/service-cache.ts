import { Construct } from 'constructs';
import { CacheAuth } from './cache-auth';
import { CacheAttributes, NodeCacheOptions, ServerlessCacheOptions } from './cache-options';
import { resolveNodeCache, resolveServerlessCache, validateCacheAttributes } from './cache-settings';
import { ImportedCache } from './imported-cache';
import { MicroserviceCache } from './microservice-cache';
import { NodeBasedCache } from './node-based-cache';
import { ServerlessCache } from './serverless-cache';
import type { ServiceWithNetwork } from '../private/feature';

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

  /**
   * Creates the cache for one service under `scope` and wires the service's task to it.
   *
   * @internal
   */
  public abstract _bind(scope: Construct, id: string, context: ServiceWithNetwork): MicroserviceCache;
}

class NodeServiceCache extends ServiceCache {
  private readonly settings;

  constructor(options: NodeCacheOptions) {
    super();
    this.settings = resolveNodeCache(options, CacheAuth.authToken());
  }

  public _bind(scope: Construct, id: string, context: ServiceWithNetwork): MicroserviceCache {
    return NodeBasedCache._create(scope, id, this.settings, context);
  }
}

class ServerlessServiceCache extends ServiceCache {
  private readonly settings;

  constructor(options: ServerlessCacheOptions) {
    super();
    this.settings = resolveServerlessCache(options, CacheAuth.password());
  }

  public _bind(scope: Construct, id: string, context: ServiceWithNetwork): MicroserviceCache {
    return ServerlessCache._create(scope, id, this.settings, context);
  }
}

class ImportedServiceCache extends ServiceCache {
  constructor(private readonly attributes: CacheAttributes) {
    super();
    validateCacheAttributes(attributes);
  }

  public _bind(scope: Construct, id: string, context: ServiceWithNetwork): MicroserviceCache {
    return ImportedCache._create(scope, id, this.attributes, context);
  }
}
