import { IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';

/**
 * AWS Control Tower's proactive controls (the cfn-guard rules of `@cdklabs/cdk-validator-cfnguard`),
 * made strict for tests:
 * - every violation gets severity `error`: the plugin gives none, and aws-cdk-lib 2.276 recomputes
 *   a report's success from the severities once any of its findings is acknowledged, so one
 *   acknowledgement would otherwise turn the whole report green;
 * - entries without a resource are dropped: a rule whose failing clause compares literals
 *   (CT.KMS.PR.3) reports the literal's side besides the resource, which no construct can
 *   acknowledge. The resource itself is still reported.
 */
export class StrictControlTowerChecks implements IPolicyValidationPluginBeta1 {
  private readonly inner = new CfnGuardValidator({ maxBuffer: 64 * 1024 * 1024 });
  public readonly name = this.inner.name;
  public readonly version = this.inner.version;
  public readonly ruleIds = this.inner.ruleIds;

  public validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const report = this.inner.validate(context);
    const violations = report.violations
      .map((v) => ({ ...v, severity: 'error', violatingResources: v.violatingResources.filter((r) => r.resourceLogicalId) }))
      .filter((v) => v.violatingResources.length > 0);
    return { ...report, violations, success: violations.length === 0 };
  }
}
