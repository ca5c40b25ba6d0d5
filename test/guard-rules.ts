// Which of AWS Control Tower's cfn-guard rule files (those `@cdklabs/cdk-validator-cfnguard` runs) can
// report anything on a set of templates. Imports the package's types only, so that a test can mock the
// package with `withApplicableRulesOnly` (test/readme.test.ts).
import * as fs from 'fs';
import * as path from 'path';
import type { IPolicyValidationContextBeta1, PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';
import type { CfnGuardValidator, CfnGuardValidatorProps } from '@cdklabs/cdk-validator-cfnguard';

/** The Control Tower rule files the plugin runs (`rules/control-tower/cfn-guard/<service>/<rule>.guard`). */
export const CONTROL_TOWER_RULES_DIR = path.join(
  path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');

/**
 * Every Control Tower rule file, by name (what `disabledRules` takes), with the resource types it
 * names (`AWS::<service>::<resource>`, anywhere in the file). Each rule of these files applies to a
 * template only `when %<resources> not empty`, `<resources>` being the template's resources of one of
 * the types the file names (the rest of a file is for CloudFormation hooks' documents): a template
 * holding none of a file's types has nothing that file's rules can report.
 */
export const CONTROL_TOWER_RULE_TYPES: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  fs.readdirSync(CONTROL_TOWER_RULES_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.guard'))
    .map((f) => [path.parse(f).name, new Set(fs.readFileSync(path.join(CONTROL_TOWER_RULES_DIR, f), 'utf8').match(/AWS::\w+::\w+/g) ?? [])]),
);

/**
 * The rule files that cannot report anything on these templates: those naming at least one
 * resource type, none of which any template holds. Unreadable templates (or ones without
 * `Resources`) disable nothing.
 */
export function inapplicableRules(templatePaths: string[]): string[] {
  const present = new Set<string>();
  for (const file of templatePaths) {
    let resources: unknown;
    try {
      resources = JSON.parse(fs.readFileSync(file, 'utf8')).Resources;
    } catch {
      return [];
    }
    if (typeof resources !== 'object' || resources === null) return [];
    for (const r of Object.values(resources as { [id: string]: { Type?: unknown } })) {
      if (typeof r?.Type !== 'string') return [];
      present.add(r.Type);
    }
  }
  return [...CONTROL_TOWER_RULE_TYPES]
    .filter(([, types]) => types.size > 0 && ![...types].some((t) => present.has(t)))
    .map(([name]) => name);
}

/**
 * `CfnGuardValidator` (the class given) that, at each validation, also leaves out the rule files
 * `inapplicableRules` finds for its templates. Those rules would only SKIP: the report is the one of
 * every rule (test/examples.test.ts checks it on templates with findings), in a fraction of the
 * time (cfn-guard's time grows with rules x template size, ~5 s for an example app with all 237 rules).
 */
export function withApplicableRulesOnly(Validator: typeof CfnGuardValidator): typeof CfnGuardValidator {
  return class extends Validator {
    private readonly applicableProps: CfnGuardValidatorProps;

    constructor(props: CfnGuardValidatorProps = {}) {
      super(props);
      this.applicableProps = props;
    }

    public validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
      const disabledRules = [...this.applicableProps.disabledRules ?? [], ...inapplicableRules(context.templatePaths)];
      return new Validator({ ...this.applicableProps, disabledRules }).validate(context);
    }
  };
}
