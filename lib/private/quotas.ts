import { Annotations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * An AWS quota the services of one platform land on together, as AWS's quota pages give it
 * (docs/scale.md lists every one, with its source).
 */
interface QuotaSpec {
  /** The quota's name, as Service Quotas writes it, with the service. */
  readonly name: string;
  /** Its Service Quotas code. */
  readonly code: string;
  /** What one count is. */
  readonly unit: string;
  readonly defaultValue: number;
  /** The most AWS raises it to, when it says; past it, a hard limit (an error). */
  readonly maxValue?: number;
  /** What to do past the default, besides requesting more. */
  readonly instead: string;
}

const QUOTAS = {
  cognitoResourceServers: {
    name: 'Amazon Cognito "Resource servers per user pool"', code: 'L-7CDAF993', unit: 'resource servers (one per service with scopes)',
    defaultValue: 25, maxValue: 300,
    instead: 'past 300, split the services over platforms with a user pool each, or use ApiAuthorizer.jwt() with an issuer whose scopes are not Cognito resource servers',
  },
  securityGroupRules: {
    name: 'Amazon VPC "Inbound or outbound rules per security group"', code: 'L-0EA8095F', unit: 'inbound rules (one per caller and port, and the API\'s)',
    defaultValue: 60,
    instead: 'AWS raises it only while rules per group x "Security groups per network interface" (L-2AFB9258, 5) stays within 1,000, so lower L-2AFB9258 with it '
      + '(the library\'s tasks use one group); identity-based admission through VPC Lattice needs no rule per caller',
  },
  cloudMapInstances: {
    name: 'AWS Cloud Map "Instances per namespace"', code: 'L-D95E8A57', unit: 'registered tasks at maxCapacity (two per task on Service Connect: its own and the library\'s A and SRV records)',
    defaultValue: 2000,
    instead: 'deployments register the new tasks before the old leave, up to twice as many for a while',
  },
  eventBridgeRules: {
    name: 'Amazon EventBridge "Rules per event bus"', code: 'L-244521F2', unit: 'rules on the default event bus (the platform\'s one, and one per service that sends failed deployments to a topic of its own)',
    defaultValue: 300,
    instead: 'the bus is the account\'s: other rules of the account and region count too',
  },
} satisfies { [key: string]: QuotaSpec };

export type QuotaKey = keyof typeof QUOTAS;

/**
 * What the services of a platform in this app use of each quota, counted as they are built, and
 * checked at synthesis: past an adjustable default, a warning on the platform naming the quota, its
 * code, the count and what to request; past the most AWS raises it to, an error. Services of other
 * apps on the same platform are not seen here (docs/scale.md).
 */
export class QuotaCounter {
  private readonly counts = new Map<QuotaKey, Map<string, number>>();

  constructor(private readonly platform: IConstruct, private readonly platformName: string) {
    platform.node.addValidation({ validate: () => this.check() });
  }

  /** Counts `n` of `key` on `subject` (the user pool, a callee's security group, the namespace, the account's default bus). */
  public count(key: QuotaKey, subject: string, n = 1): void {
    const bySubject = this.counts.get(key) ?? new Map<string, number>();
    bySubject.set(subject, (bySubject.get(subject) ?? 0) + n);
    this.counts.set(key, bySubject);
  }

  /** What has been counted of `key` on `subject`. */
  public countOf(key: QuotaKey, subject: string): number {
    return this.counts.get(key)?.get(subject) ?? 0;
  }

  private check(): string[] {
    const errors: string[] = [];
    for (const [key, bySubject] of this.counts) {
      const q: QuotaSpec = QUOTAS[key];
      for (const [subject, count] of bySubject) {
        if (count <= q.defaultValue) continue;
        const what = `The services of platform '${this.platformName}' in this app use ${count} ${q.unit} of ${subject}`;
        if (q.maxValue !== undefined && count > q.maxValue) {
          errors.push(`${what}: ${q.name} (${q.code}) is ${q.defaultValue} by default and AWS raises it to ${q.maxValue} at most; ${q.instead}`);
        } else {
          Annotations.of(this.platform).addWarningV2(`cdk-microservice:quota:${key}`,
            `${what}, past the default of ${q.name} (${q.code}), ${q.defaultValue}: request at least ${count} in Service Quotas before deploying`
            + `${q.maxValue !== undefined ? ` (AWS raises it to ${q.maxValue} at most)` : ''}; ${q.instead}. See docs/scale.md`);
        }
      }
    }
    return errors;
  }
}
