import { IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';

/**
 * A policy validation plugin whose findings always fail synthesis until acknowledged.
 *
 * Some plugins (`@cdklabs/cdk-validator-cfnguard`'s `CfnGuardValidator` among them) give their
 * violations no severity. Once any finding of such a plugin is acknowledged, aws-cdk-lib
 * recomputes the report's success from the severities of the findings left, finds none that is
 * an error, and lets synthesis pass while the rest are still printed. This library acknowledges
 * some Control Tower findings of its own (each on the smallest construct, with its reason), so
 * without this wrapper those acknowledgements would turn your whole guard report green.
 *
 * The wrapper gives every violation without a severity the severity `error`, and drops the
 * entries that name no resource (cfn-guard reports the literal side of a failed comparison
 * besides the resource; no construct can acknowledge it, and the resource stays reported).
 *
 * @example
 * Validations.of(app).addPlugins(strictValidation(new CfnGuardValidator()));
 */
export function strictValidation(plugin: IPolicyValidationPluginBeta1): IPolicyValidationPluginBeta1 {
  return {
    name: plugin.name,
    version: plugin.version,
    ruleIds: plugin.ruleIds,
    validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
      const report = plugin.validate(context);
      const violations = report.violations
        .map((v) => ({ ...v, severity: v.severity ?? 'error', violatingResources: v.violatingResources.filter((r) => r.resourceLogicalId) }))
        .filter((v) => v.violatingResources.length > 0);
      return { ...report, violations, success: violations.length === 0 };
    },
  };
}
