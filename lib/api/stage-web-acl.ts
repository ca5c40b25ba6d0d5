import { ArnFormat, Aws, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { RestApiWafOptions } from './api-options';

/** Default AWS managed rule groups of a REST stage's web ACL, in evaluation order. */
export const DEFAULT_MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
];

/**
 * Request headers that carry a caller's credentials, kept out of the web ACL's logs. WAF redacts a
 * header field by name (AWS::WAFv2::LoggingConfiguration `RedactedFields`: only `UriPath`,
 * `QueryString`, `SingleHeader` and `Method`), and "the name isn't case sensitive" (WAF API
 * reference, SingleHeader): written lower case, as HTTP/2 sends them. WAF logs the request's
 * headers only (WAF guide, "Log fields": `httpRequest.headers`), so a response's `set-cookie`
 * never reaches the log.
 */
const REDACTED_HEADERS = [
  'authorization', // the caller's token
  'proxy-authorization', // a proxy's credentials, when a client sends them through
  'x-api-key', // the consumer's API key (usage plans)
  'cookie', // session cookies
];

/**
 * The body inspection limit of the stage's web ACL, stated rather than left implicit: for API
 * Gateway "the default limit is 16 KB (16,384 bytes)", settable to 32, 48 or 64 KB, "charged extra
 * only for the inspection of requests that have body sizes larger than the default" (WAF guide,
 * "Managing body inspection size limits"). Bytes past it reach the service uninspected ("the
 * entire web request is sent", WAF guide, "Oversize web request components"), which is why
 * `SizeRestrictions_BODY` blocks by default.
 */
const API_GATEWAY_BODY_INSPECTION_LIMIT = 'KB_16';

/** WAF sends logs only to CloudWatch Logs groups whose name starts so. */
export const WAF_LOG_PREFIX = 'aws-waf-logs-';

/** Default requests per client IP per window before the rate rule blocks. */
export const DEFAULT_RATE_LIMIT_PER_IP = 1000;

/** Props of {@link StageWebAcl}. */
export interface StageWebAclProps extends RestApiWafOptions {
  /** Prefix of the web ACL's name and metric names (literal). */
  readonly name: string;
  /** The REST API id. */
  readonly restApiId: string;
  /** The stage name. */
  readonly stageName: string;
  /**
   * A log group to log every evaluated request to: its name must start with `aws-waf-logs-`.
   *
   * @default - no logging
   */
  readonly logGroup?: logs.ILogGroup;
}

/**
 * A regional WAF web ACL on one REST API stage: a rate-based rule per client IP, then AWS managed
 * rule groups. Every rule publishes CloudWatch metrics and samples requests.
 */
export class StageWebAcl extends Construct {
  /** The web ACL. */
  public readonly webAcl: wafv2.CfnWebACL;
  /** Its association with the stage. */
  public readonly association: wafv2.CfnWebACLAssociation;
  /** The web ACL's name (its metrics' `WebACL` dimension). */
  public readonly webAclName: string;
  /** Rule names, in evaluation order. */
  public readonly ruleNames: string[];
  /** The web ACL's logging, with `logGroup`. */
  public readonly logging?: wafv2.CfnLoggingConfiguration;

  constructor(scope: Construct, id: string, props: StageWebAclProps) {
    super(scope, id);
    this.webAclName = props.name.slice(0, 128);
    const block = props.countOnly ? { count: {} } : { block: {} };
    const groups = props.managedRuleGroups ?? DEFAULT_MANAGED_RULE_GROUPS;
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      {
        name: 'RateLimitPerIp',
        priority: 0,
        action: block,
        statement: {
          rateBasedStatement: {
            aggregateKeyType: 'IP',
            limit: props.rateLimitPerIp ?? DEFAULT_RATE_LIMIT_PER_IP,
            evaluationWindowSec: (props.rateLimitWindow ?? Duration.minutes(5)).toSeconds(),
          },
        },
        visibilityConfig: visibility('RateLimitPerIp'),
      },
      ...groups.map((group, i): wafv2.CfnWebACL.RuleProperty => ({
        name: group,
        priority: i + 1,
        overrideAction: props.countOnly ? { count: {} } : { none: {} },
        statement: {
          managedRuleGroupStatement: {
            vendorName: 'AWS',
            name: group,
            // No rule is relaxed unless `countRules` says so: `SizeRestrictions_BODY` of the common
            // rule set "inspects for request bodies that are over 8 KB (8,192 bytes)" (WAF guide,
            // "Baseline rule groups"); counting it would let a body padded past the inspection
            // limit carry what the other body rules would have blocked.
            ruleActionOverrides: props.countRules?.[group]?.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
          },
        },
        visibilityConfig: visibility(group),
      })),
    ];
    this.ruleNames = rules.map((r) => r.name);
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: this.webAclName,
      description: `Web ACL of the REST API stage of ${scope.node.path}`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      rules,
      visibilityConfig: visibility(this.webAclName),
      associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: API_GATEWAY_BODY_INSPECTION_LIMIT } } },
    });
    this.association = new wafv2.CfnWebACLAssociation(this, 'Association', {
      webAclArn: this.webAcl.attrArn,
      resourceArn: `arn:${Aws.PARTITION}:apigateway:${Stack.of(this).region}::/restapis/${props.restApiId}/stages/${props.stageName}`,
    });
    if (props.logGroup) {
      const name = props.logGroup.logGroupName;
      if (!Token.isUnresolved(name) && !name.startsWith(WAF_LOG_PREFIX)) {
        throw new Error(`Invalid props for StageWebAcl '${this.node.path}':\n  - logGroup must be named "${WAF_LOG_PREFIX}..." (WAF logs only to such groups), got ${JSON.stringify(name)}`);
      }
      // The group's ARN without the ':*' of its Arn attribute (AWS WAF guide, "Sending web ACL
      // traffic logs to an Amazon CloudWatch Logs log group").
      this.logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
        resourceArn: this.webAcl.attrArn,
        logDestinationConfigs: [Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
        redactedFields: REDACTED_HEADERS.map((name) => ({ singleHeader: { Name: name } })),
      });
      this.logging.node.addDependency(props.logGroup);
    }
  }

  /**
   * Requests a rule blocked, or all blocked requests (AWS/WAFV2 BlockedRequests).
   *
   * @default - sum over 5 minutes, every rule
   */
  public metricBlockedRequests(rule?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('BlockedRequests', rule, props);
  }

  /**
   * Requests the web ACL let through (AWS/WAFV2 AllowedRequests).
   *
   * @default - sum over 5 minutes
   */
  public metricAllowedRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('AllowedRequests', undefined, props);
  }

  private metric(metricName: string, rule: string | undefined, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName,
      dimensionsMap: { WebACL: this.webAclName, Region: Stack.of(this).region, Rule: rule ?? 'ALL' },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...props,
    });
  }
}
