import { IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { strictValidation } from '../lib';

/**
 * AWS Control Tower's proactive controls (the cfn-guard rules of `@cdklabs/cdk-validator-cfnguard`),
 * strict: through the library's `strictValidation`, every finding fails synthesis until
 * acknowledged, also when another finding of the plugin is.
 */
export class StrictControlTowerChecks implements IPolicyValidationPluginBeta1 {
  private readonly inner = strictValidation(new CfnGuardValidator({ maxBuffer: 64 * 1024 * 1024 }));
  public readonly name = this.inner.name;
  public readonly version = this.inner.version;
  public readonly ruleIds = this.inner.ruleIds;

  public validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    return this.inner.validate(context);
  }
}
