import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { BoundCacheAuth, CacheAuth, CacheAuthTarget } from './cache-auth';
import type { CacheFaultTarget, ServicePart } from '../private/binding';
import type { ServiceWithNetwork } from '../private/feature';
import { CACHE_ENV } from './cache-env';


/**
 * A service's cache: `NodeBasedCache` (`ServiceCache.valkey()`), `ServerlessCache`
 * (`ServiceCache.serverless()`) or `ImportedCache` (`ServiceCache.fromAttributes()`). What every
 * kind has; the metrics are each kind's own.
 */
export abstract class MicroserviceCache extends Construct {
  /** Primary endpoint host. */
  public abstract readonly host: string;
  /** Port. */
  public abstract readonly port: number;
  /** Reader endpoint host, when there is one. */
  public abstract readonly readerHost?: string;
  /** The cache's security group (not for an imported cache). */
  public abstract readonly securityGroup?: ec2.SecurityGroup;
  /** The secret with the AUTH token or the user's password, when there is one. */
  public abstract readonly secret?: secretsmanager.ISecret;
  /** @internal */
  public abstract readonly _part: ServicePart;
  /** @internal */
  public abstract readonly _faultTarget: CacheFaultTarget;

  /** The authentication mode's binding, for caches this service creates. */
  private auth?: BoundCacheAuth;

  protected constructor(scope: Construct, id: string) {
    super(scope, id);
  }

  /** The RBAC user of the service, for `password()` and `iam()`. */
  public get user(): elasticache.CfnUser | undefined {
    return this.auth?.user;
  }

  /** The RBAC user group, for `password()` and `iam()`. */
  public get userGroup(): elasticache.CfnUserGroup | undefined {
    return this.auth?.userGroup;
  }

  /**
   * Creates the credential and RBAC users of the cache, in its scope.
   *
   * @internal
   */
  protected _bindAuth(auth: CacheAuth, target: CacheAuthTarget): BoundCacheAuth {
    this.auth = auth._bind(this, target);
    return this.auth;
  }

  /**
   * Allows `grantee` to connect with IAM authentication (`elasticache:Connect` on the cache and
   * the service's user). Only for caches created with `CacheAuth.iam()`.
   */
  public grantConnect(grantee: iam.IGrantable): iam.Grant {
    const grant = this.auth && this._cacheName ? this.auth.grantConnect(grantee, this._cacheName) : undefined;
    if (!grant) throw new Error(`grantConnect() of the cache of ${this.node.scope?.node.path} needs auth: CacheAuth.iam() on a cache this service creates`);
    return grant;
  }

  /**
   * The cache's name in its ARN, for caches this service creates.
   *
   * @internal
   */
  protected get _cacheName(): string | undefined {
    return undefined;
  }

  /**
   * A security group that admits only the service's tasks.
   *
   * @internal
   */
  protected _createSecurityGroup(context: ServiceWithNetwork): ec2.SecurityGroup {
    return new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: context.vpc,
      description: `Cache of ${context.path}: only the tasks of that service may connect`,
      allowAllOutbound: false,
    });
  }

  /**
   * Hands the container the endpoint, the authentication mode and the credential.
   *
   * @internal
   */
  protected _wire(context: ServiceWithNetwork, extra: { [name: string]: string } = {}): void {
    const env: { [name: string]: string } = { ...extra };
    env[CACHE_ENV.HOST] = this.host;
    env[CACHE_ENV.PORT] = Token.isUnresolved(this.port) ? Token.asString(this.port) : String(this.port);
    env[CACHE_ENV.TLS] = 'true';
    if (this.readerHost) env[CACHE_ENV.READER_HOST] = this.readerHost;
    for (const [k, v] of Object.entries(env)) context.task.addEnvironment(k, v);
  }

  /**
   * Wires the cache the service created with {@link _bindAuth}: the endpoint, `extra` and the
   * auth's variables, its secret; with IAM authentication, the task role's grant on `cacheName`
   * and `CACHE_IAM_CACHE_NAME`.
   *
   * @internal
   */
  protected _wireAuth(context: ServiceWithNetwork, cacheName: string, extra: { [name: string]: string } = {}): void {
    const auth = this.auth!;
    const iamName: { [name: string]: string } = auth.grantConnect(context.task.taskDefinition.taskRole, cacheName) ? { [CACHE_ENV.IAM_CACHE_NAME]: cacheName } : {};
    this._wire(context, { ...auth.environment, ...extra, ...iamName });
    this._injectSecret(context, auth.secretVariable);
  }

  /**
   * Injects the secret as the given variable.
   *
   * @internal
   */
  protected _injectSecret(context: ServiceWithNetwork, variable: string | undefined): void {
    if (this.secret && variable) context.task.addSecret(variable, ecs.Secret.fromSecretsManager(this.secret));
  }
}
