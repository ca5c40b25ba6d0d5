import { IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { strictValidation } from '../lib';
import { withApplicableRulesOnly } from './guard-rules';

export { inapplicableRules } from './guard-rules';

const MAX_BUFFER = 64 * 1024 * 1024;

/**
 * AWS Control Tower's proactive controls (the cfn-guard rules of `@cdklabs/cdk-validator-cfnguard`),
 * strict: through the library's `strictValidation`, every finding fails synthesis until
 * acknowledged, also when another finding of the plugin is.
 *
 * Each validation runs the rule files that can report on its templates only
 * (`withApplicableRulesOnly`, test/guard-rules.ts): the same report as every rule, in a fraction
 * of the time. `new StrictControlTowerChecks({ allRules: true })` runs every rule.
 */
export class StrictControlTowerChecks implements IPolicyValidationPluginBeta1 {
  private readonly inner: IPolicyValidationPluginBeta1;
  public readonly name: string;
  public readonly version?: string;
  public readonly ruleIds?: string[];

  constructor(options: { readonly allRules?: boolean } = {}) {
    const Validator = options.allRules ? CfnGuardValidator : withApplicableRulesOnly(CfnGuardValidator);
    this.inner = strictValidation(new Validator({ maxBuffer: MAX_BUFFER }));
    this.name = this.inner.name;
    this.version = this.inner.version;
    this.ruleIds = this.inner.ruleIds;
  }

  public validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    return this.inner.validate(context);
  }
}
