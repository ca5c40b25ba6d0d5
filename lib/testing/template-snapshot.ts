import { IPolicyValidationPluginBeta1, Stack } from 'aws-cdk-lib';
import { normalizeTemplate, NormalizeTemplateOptions } from './normalize-template';
import { strictValidation } from './strict-validation';
import { lookupContext, LookupContextEnvironment } from './lookup-context';

/**
 * Helpers for snapshot tests of stacks that use this library, for every jsii language: the
 * TypeScript functions `normalizeTemplate` and `strictValidation` are the same.
 */
export class MicroserviceTesting {
  /**
   * A stack's synthesized template without what changes when only an asset's content or the CDK
   * version changes (see `normalizeTemplate`).
   */
  public static normalizeStack(stack: Stack, options: NormalizeTemplateOptions = {}): { [key: string]: any } {
    return normalizeTemplate(stack, options);
  }

  /** As {@link normalizeStack}, for a template already read as JSON (an assertions `Template`'s `toJSON()`). */
  public static normalizeJson(template: { [key: string]: any }, options: NormalizeTemplateOptions = {}): { [key: string]: any } {
    return normalizeTemplate(template, options);
  }

  /** A policy validation plugin whose findings fail synthesis until acknowledged (see `strictValidation`). */
  public static strictValidation(plugin: IPolicyValidationPluginBeta1): IPolicyValidationPluginBeta1 {
    return strictValidation(plugin);
  }

  /**
   * The context a service app needs to join a platform, and to call and subscribe to services, of
   * other apps with no AWS: the contracts the platform and service apps synthesized in
   * `assemblyDirs` (their `cdk.out`) publish, as the CDK CLI would have looked them up and cached
   * them in `cdk.context.json`, with realistic placeholder ids (see `lookupContext`). Give it to the
   * app under test: `new App({ context: MicroserviceTesting.lookupContext([...], { account, region }) })`.
   */
  public static lookupContext(assemblyDirs: string[], env: LookupContextEnvironment): { [key: string]: string } {
    return lookupContext(assemblyDirs, env);
  }

  private constructor() {}
}
