import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CACHE_ENV } from './cache-env';
import { physicalName } from '../private/names';
import { fmt, PropErrors, versionOlder } from '../private/validation';

/** Options of {@link CacheAuth.password}. */
export interface PasswordCacheAuthOptions {
  /**
   * The user's Valkey/Redis ACL access string.
   *
   * @default 'on ~* &* +@all -@dangerous' (every key and channel, no dangerous commands)
   */
  readonly accessString?: string;
}

/** What a cache tells its authentication about itself. */
export interface CacheAuthTarget {
  readonly engine: string;
  /** The engine version of a node-based cache. */
  readonly engineVersion?: string;
  readonly serverless: boolean;
  readonly servicePath: string;
}

/** What an authentication mode made for a cache. */
export interface BoundCacheAuth {
  /** The secret the container receives, when the mode stores a credential. */
  readonly secret?: secretsmanager.ISecret;
  /** The AUTH token to set on a replication group. */
  readonly authToken?: string;
  readonly user?: elasticache.CfnUser;
  readonly userGroup?: elasticache.CfnUserGroup;
  /** Environment of the container: CACHE_AUTH_MODE, CACHE_USERNAME. */
  readonly environment: { [name: string]: string };
  /** The variable the secret is injected as. */
  readonly secretVariable?: string;
  /** Acknowledgements for the replication group this mode implies. */
  readonly replicationGroupAcknowledgements: Array<{ readonly id: string; readonly reason: string }>;
  /** With IAM: lets the task role connect to the cache named `cacheName`; what the container needs besides. */
  grantConnect(grantee: iam.IGrantable, cacheName: string): iam.Grant | undefined;
}

/** Versions from which the engine accepts IAM authentication. */
const IAM_FROM: { [engine: string]: string } = { valkey: '7.2', redis: '7.0' };
const DEFAULT_ACCESS_STRING = 'on ~* &* +@all -@dangerous';

/**
 * How the service authenticates to its cache. Authentication is always on.
 *
 * | | `authToken()` | `password()` | `iam()` |
 * |---|---|---|---|
 * | what the client sends | `AUTH <token>` | `AUTH <user> <password>` | `AUTH <user> <SigV4 token>`, renewed every 15 minutes |
 * | credential | a 64-character token in Secrets Manager | a generated password in Secrets Manager | none stored: the task role's `elasticache:Connect` |
 * | node-based | yes (default) | yes | Valkey 7.2+, Redis OSS 7.0+ |
 * | serverless | no | yes (default) | yes |
 */
export abstract class CacheAuth {
  /** A Redis AUTH token generated into Secrets Manager (node-based caches only). */
  public static authToken(): CacheAuth {
    return new AuthTokenCacheAuth();
  }

  /** An RBAC user with a password generated into Secrets Manager. */
  public static password(options: PasswordCacheAuthOptions = {}): CacheAuth {
    return new RbacCacheAuth('password', options.accessString);
  }

  /** An RBAC user authenticated with IAM: no stored credential; the task role may connect. */
  public static iam(options: PasswordCacheAuthOptions = {}): CacheAuth {
    return new RbacCacheAuth('iam', options.accessString);
  }

  /**
   * Reports what this mode cannot do for the cache.
   *
   * @internal
   */
  public abstract _validate(errors: PropErrors, target: CacheAuthTarget): void;

  /**
   * Creates the credential, and the RBAC users, in the cache's scope.
   *
   * @internal
   */
  public abstract _bind(scope: Construct, target: CacheAuthTarget): BoundCacheAuth;
}

function secretOf(scope: Construct, what: string, servicePath: string): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'Secret', {
    description: `${what} of the cache of ${servicePath}`,
    generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason: 'ElastiCache AUTH tokens and RBAC passwords change through ModifyReplicationGroup/ModifyUser, for which Secrets Manager has no managed rotation; CacheAuth.iam() gives 15-minute credentials instead (docs/cache.md, Authentication).',
  });
  return secret;
}

class AuthTokenCacheAuth extends CacheAuth {
  public _validate(errors: PropErrors, target: CacheAuthTarget): void {
    if (target.serverless) errors.add('auth must be CacheAuth.password() or CacheAuth.iam() (serverless caches take no AUTH token), got CacheAuth.authToken()');
  }

  public _bind(scope: Construct, target: CacheAuthTarget): BoundCacheAuth {
    const secret = secretOf(scope, 'AUTH token', target.servicePath);
    return {
      secret,
      authToken: secret.secretValue.unsafeUnwrap(),
      environment: { [CACHE_ENV.AUTH_MODE]: 'token' },
      secretVariable: CACHE_ENV.AUTH_TOKEN,
      replicationGroupAcknowledgements: [],
      grantConnect: () => undefined,
    };
  }
}

class RbacCacheAuth extends CacheAuth {
  private readonly accessString: string;

  constructor(private readonly mode: 'password' | 'iam', accessString?: string) {
    super();
    const errors = new PropErrors(`CacheAuth.${mode}`);
    errors.text('accessString', accessString, /^on( \S+)+$/, 'an ACL access string that starts with "on", such as "on ~app:* +@read"');
    errors.throwIfAny();
    this.accessString = accessString ?? DEFAULT_ACCESS_STRING;
  }

  public _validate(errors: PropErrors, target: CacheAuthTarget): void {
    const v = target.engineVersion;
    if (this.mode === 'iam' && v !== undefined && versionOlder(v, IAM_FROM[target.engine])) {
      errors.add(`auth CacheAuth.iam() needs ${target.engine === 'valkey' ? 'Valkey' : 'Redis OSS'} ${IAM_FROM[target.engine]} or later, got engineVersion ${fmt(v)}`);
    }
  }

  public _bind(scope: Construct, target: CacheAuthTarget): BoundCacheAuth {
    const iamMode = this.mode === 'iam';
    const secret = iamMode ? undefined : secretOf(scope, 'Password', target.servicePath);
    const base = physicalName(scope, 34);
    // IAM authentication needs the user name to equal the user id.
    const userId = `${base}-app`;
    const userName = iamMode ? userId : 'app';
    // A Redis OSS user group must hold a user named "default": a disabled one. Valkey user groups
    // need none, and take no user without a password or IAM.
    const defaultUser = target.engine === 'redis' ? new elasticache.CfnUser(scope, 'DefaultUser', {
      engine: target.engine,
      userId: `${base}-dflt`,
      userName: 'default',
      accessString: 'off -@all',
      authenticationMode: { Type: 'no-password-required' },
    }) : undefined;
    const user = new elasticache.CfnUser(scope, 'User', {
      engine: target.engine,
      userId,
      userName,
      accessString: this.accessString,
      authenticationMode: iamMode ? { Type: 'iam' } : { Type: 'password', Passwords: [secret!.secretValue.unsafeUnwrap()] },
    });
    const userGroup = new elasticache.CfnUserGroup(scope, 'UserGroup', {
      engine: target.engine,
      userGroupId: base,
      userIds: defaultUser ? [defaultUser.ref, user.ref] : [user.ref],
    });
    return {
      secret,
      user,
      userGroup,
      environment: { [CACHE_ENV.USERNAME]: userName, [CACHE_ENV.AUTH_MODE]: this.mode },
      secretVariable: secret ? CACHE_ENV.PASSWORD : undefined,
      replicationGroupAcknowledgements: [{
        id: 'AwsSolutions-AEC6',
        reason: `Clients authenticate as an RBAC user (${iamMode ? 'IAM' : 'password'}) of the user group; an AUTH token cannot be combined with a user group.`,
      }],
      grantConnect: (grantee, cacheName) => {
        if (!iamMode) return undefined;
        const cacheArn = Stack.of(scope).formatArn({
          service: 'elasticache',
          resource: target.serverless ? 'serverlesscache' : 'replicationgroup',
          resourceName: cacheName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        });
        return iam.Grant.addToPrincipal({ grantee, actions: ['elasticache:Connect'], resourceArns: [cacheArn, user.attrArn] });
      },
    };
  }
}
