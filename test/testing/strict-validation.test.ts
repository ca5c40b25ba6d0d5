import { App, IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1, Stack, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { strictValidation } from '../../lib';
import { CDK_CONTEXT, logicalId } from '../util';

/** A plugin like cfn-guard's: findings without a severity, and an entry that names no resource. */
class SeverityLessPlugin implements IPolicyValidationPluginBeta1 {
  public readonly name = 'severity-less';
  constructor(private readonly ids: string[]) {}
  public validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const templatePath = context.templatePaths[0];
    return {
      success: false,
      violations: [{
        ruleName: 'retention_check',
        description: 'log groups must be kept a year',
        violatingResources: [...this.ids.map((id) => ({ resourceLogicalId: id, templatePath, locations: ['/Properties'] })),
          { resourceLogicalId: '', templatePath, locations: [''] }],
      }],
    };
  }
}

function appWithTwoGroups(): { app: App; a: logs.LogGroup; b: logs.LogGroup } {
  const app = new App({ context: { ...CDK_CONTEXT, '@aws-cdk/core:validateAgainstDefaultRules': false } });
  const stack = new Stack(app, 'S');
  return { app, a: new logs.LogGroup(stack, 'A'), b: new logs.LogGroup(stack, 'B') };
}

test("without it, acknowledging one severity-less finding lets synthesis pass over the others", () => {
  const { app, a, b } = appWithTwoGroups();
  Validations.of(a).acknowledge({ id: 'severity-less::retention_check', reason: 'test' });
  Validations.of(app).addPlugins(new SeverityLessPlugin([logicalId(a), logicalId(b)]));
  // The behaviour the wrapper exists for (aws-cdk-lib 2.276): B is still reported, synthesis passes.
  const printed = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    expect(() => app.synth()).not.toThrow();
    expect(printed.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(/ERROR log groups must be kept a year[\s\S]*S\/B\/Resource/);
  } finally {
    printed.mockRestore();
  }
});

test('with it, the finding left fails synthesis, naming its construct', () => {
  const { app, a, b } = appWithTwoGroups();
  Validations.of(a).acknowledge({ id: 'severity-less::retention_check', reason: 'test' });
  Validations.of(app).addPlugins(strictValidation(new SeverityLessPlugin([logicalId(a), logicalId(b)])));
  expect(() => app.synth()).toThrow(/S\/B/);
});

test('with it, acknowledging every resource passes: the entry that names none is dropped', () => {
  const { app, a, b } = appWithTwoGroups();
  for (const g of [a, b]) Validations.of(g).acknowledge({ id: 'severity-less::retention_check', reason: 'test' });
  Validations.of(app).addPlugins(strictValidation(new SeverityLessPlugin([logicalId(a), logicalId(b)])));
  expect(() => app.synth()).not.toThrow();
});

test('a severity the plugin gives is kept', () => {
  const inner: IPolicyValidationPluginBeta1 = {
    name: 'p',
    validate: () => ({ success: false, violations: [{ ruleName: 'r', description: 'd', severity: 'warning', violatingResources: [{ resourceLogicalId: 'X', templatePath: 't', locations: [] }] }] }),
  };
  const report = strictValidation(inner).validate({ templatePaths: ['t'] } as unknown as IPolicyValidationContextBeta1);
  expect(report.violations.map((v) => v.severity)).toEqual(['warning']);
  expect(report.success).toBe(false);
});
