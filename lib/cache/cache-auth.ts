import { PropErrors } from '../private/validation';

/** Options of {@link CacheAuth.password}. */
export interface PasswordCacheAuthOptions {
  /**
   * The user's Valkey/Redis ACL access string.
   *
   * @default 'on ~* &* +@all -@dangerous' (every key and channel, no dangerous commands)
   */
  readonly accessString?: string;
}

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
    return new SimpleCacheAuth('authToken');
  }

  /** An RBAC user with a password generated into Secrets Manager. */
  public static password(options: PasswordCacheAuthOptions = {}): CacheAuth {
    return new SimpleCacheAuth('password', options.accessString);
  }

  /** An RBAC user authenticated with IAM: no stored credential; the task role may connect. */
  public static iam(options: PasswordCacheAuthOptions = {}): CacheAuth {
    return new SimpleCacheAuth('iam', options.accessString);
  }

  /** 'authToken', 'password' or 'iam'. */
  public abstract readonly kind: string;
  /** The ACL access string of the RBAC user. */
  public abstract readonly accessString: string;
}

export const DEFAULT_ACCESS_STRING = 'on ~* &* +@all -@dangerous';

class SimpleCacheAuth extends CacheAuth {
  public readonly accessString: string;

  constructor(public readonly kind: string, accessString?: string) {
    super();
    const errors = new PropErrors(`CacheAuth.${kind}`);
    errors.text('accessString', accessString, /^on( \S+)+$/, 'an ACL access string that starts with "on", such as "on ~app:* +@read"');
    errors.throwIfAny();
    this.accessString = accessString ?? DEFAULT_ACCESS_STRING;
  }
}
