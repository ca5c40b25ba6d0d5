import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { CacheAttributes } from './cache-options';
import { CACHE_ENV } from './cache-env';
import { MicroserviceCache } from './microservice-cache';
import type { CacheFaultTarget, ServicePart } from '../private/binding';
import type { ServiceWithNetwork } from '../private/feature';

/**
 * A cache owned elsewhere (`ServiceCache.fromAttributes()`): the service gets its endpoint and
 * credential, and, when its security group is given, a rule in the service's stack that admits
 * the service's tasks. Its owner monitors it.
 */
export class ImportedCache extends MicroserviceCache {
  /** @internal */
  public static _create(scope: Construct, id: string, attributes: CacheAttributes, context: ServiceWithNetwork): ImportedCache {
    return new ImportedCache(scope, id, attributes, context);
  }

  public readonly host: string;
  public readonly port: number;
  public readonly readerHost?: string;
  public readonly securityGroup?: ec2.SecurityGroup = undefined;
  public readonly secret?: secretsmanager.ISecret;
  /** @internal */
  public readonly _part: ServicePart = {};
  /** @internal */
  public readonly _faultTarget: CacheFaultTarget;

  private constructor(scope: Construct, id: string, s: CacheAttributes, context: ServiceWithNetwork) {
    super(scope, id);
    this.host = s.host;
    this.port = s.port;
    this.readerHost = s.readerHost;
    this.secret = s.secret;
    if (s.securityGroup) {
      // A standalone rule in the service's stack: the owner's stack never references the service.
      new ec2.CfnSecurityGroupIngress(this, 'IngressFromTasks', {
        groupId: s.securityGroup.securityGroupId,
        sourceSecurityGroupId: context.securityGroup.securityGroupId,
        ipProtocol: 'tcp',
        fromPort: s.port,
        toPort: s.port,
        description: `${context.path} tasks`,
      });
    }
    this._faultTarget = {
      ports: [s.port],
      hosts: [s.host, ...(s.readerHost ? [s.readerHost] : [])],
      azPower: { whyNot: 'the cache is imported: an AZ power experiment belongs with the stack that owns it' },
    };
    const mode = s.username ? (s.secret ? 'password' : 'iam') : (s.secret ? 'token' : 'none');
    this._wire(context, {
      [CACHE_ENV.AUTH_MODE]: mode,
      ...(s.username ? { [CACHE_ENV.USERNAME]: s.username } : {}),
    });
    this._injectSecret(context, mode === 'token' ? CACHE_ENV.AUTH_TOKEN : CACHE_ENV.PASSWORD);
  }
}
