// Every example synthesizes with CloudFormation's template validator on (as `cdk synth` runs it),
// cdk-nag's AwsSolutions pack and AWS Control Tower's proactive controls (cfn-guard), and leaves
// no unacknowledged error or warning. The same synthesis gives the normalized snapshots of every
// stack the examples deploy (test/__snapshots__/examples.test.ts.snap): a change to the library that
// changes what users deploy shows up there, resource by resource. Each example is synthesized once.
process.env.CDK_VALIDATION = 'true';

import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Template } from 'aws-cdk-lib/assertions';
import { build as buildEnvoy } from '../examples/envoy/app';
import { build as buildEvents } from '../examples/events/app';
import { build as buildGameDays } from '../examples/game-days/app';
import { build as buildMinimal } from '../examples/minimal/app';
import { build as buildMultiService } from '../examples/multi-service/app';
import { build as buildRestApi } from '../examples/rest-api/app';
import { buildMainApp } from '../bin/main';
import { normalizeTemplate } from '../lib';
import { inapplicableRules, StrictControlTowerChecks } from './guard';
import { unacknowledgedFindings } from './nag';
import { CDK_CONTEXT, testApp } from './util';

const examples: Array<[string, (app: App) => App, string[]]> = [
  ['minimal', buildMinimal, ['MinimalService']],
  ['multi-service', buildMultiService, ['ShopPlatform', 'ShopCatalog', 'ShopCart']],
  ['rest-api', buildRestApi, ['RestPlatform', 'RestOrders', 'PartnerPlatform', 'RestPartners']],
  ['envoy', buildEnvoy, ['EnvoyPlatform', 'EnvoyLedger', 'EnvoyPayments', 'EnvoyPaymentsV2', 'EnvoyOrders']],
  ['events', buildEvents, ['EventsPlatform', 'EventsOrders', 'EventsBilling', 'EventsMailer']],
  ['game-days', buildGameDays, ['GameDaysPlatform', 'GameDaysOrders', 'GameDaysPayments']],
  ['bin', buildMainApp, ['Platform', 'Orders', 'Payments']], // bin/: the main job (`npx cdk synth`)
];

describe.each(examples)('example %s', (_name, build, stackNames) => {
  const app = build(testApp());
  Validations.of(app).addPlugins(new StrictControlTowerChecks());
  const findings = unacknowledgedFindings(app);
  const stacks = app.node.children.filter((c): c is Stack => c instanceof Stack);

  test('has no unacknowledged cdk-nag, Control Tower or template-validator finding', () => {
    expect(findings).toEqual([]);
  });

  test('synthesizes the expected stacks, each under 500 resources', () => {
    expect(stacks.map((s) => s.stackName).sort()).toEqual([...stackNames].sort());
    for (const stack of stacks) {
      const count = Object.keys(Template.fromStack(stack).toJSON().Resources).length;
      expect(count).toBeLessThan(500);
    }
  });

  test.each(stacks.map((s) => [s.stackName, s] as const))('stack %s matches its snapshot', (_stackName, stack) => {
    expect(normalizeTemplate(stack)).toMatchSnapshot();
  });
});


describe('the finding check itself', () => {
  test('fails synthesis on an unacknowledged Control Tower finding, also when another of its findings is acknowledged', () => {
    const app = testApp();
    const stack = new Stack(app, 'Guarded');
    const a = new logs.LogGroup(stack, 'A', { retention: logs.RetentionDays.ONE_WEEK });
    new logs.LogGroup(stack, 'B', { retention: logs.RetentionDays.ONE_WEEK });
    Validations.of(a).acknowledge({ id: 'cdk-validator-cfnguard::cloudwatch_log_group_retention_period_check', reason: 'test of the check' });
    Validations.of(app).addPlugins(new StrictControlTowerChecks());
    expect(() => unacknowledgedFindings(app)).toThrow(/CT\.CLOUDWATCH\.PR\.2[\s\S]*Guarded\/B/);
  });

  test('runs only the Control Tower rule files that can report on the templates, and reports what every rule reports', () => {
    const app = testApp();
    const stack = new Stack(app, 'Pruned');
    new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.INFINITE }); // CT.CLOUDWATCH.PR.2 and .3
    new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.UNENCRYPTED }); // CT.SQS.PR.1 and .2
    const context = { appConstruct: app, templatePaths: app.synth().stacks.map((s) => s.templateFullPath) };
    expect(inapplicableRules(context.templatePaths).length).toBeGreaterThan(200);
    const pruned = new StrictControlTowerChecks().validate(context);
    expect(pruned.violations.map((v) => v.ruleName).sort()).toEqual([
      'cloudwatch_log_group_encrypted_check', 'cloudwatch_log_group_retention_period_check', 'sqs_dlq_check', 'sqs_queue_encrypted_check',
    ]);
    expect(pruned).toEqual(new StrictControlTowerChecks({ allRules: true }).validate(context));
  });

  test('fails synthesis on an unacknowledged cdk-nag error', () => {
    const app = testApp();
    const stack = new Stack(app, 'Open');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 });
    vpc.addFlowLog('FlowLog');
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc, description: 'open' });
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(22));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => unacknowledgedFindings(app)).toThrow(/AwsSolutions-EC23/);
  });

  test('returns an acknowledged error\'s remaining warnings', () => {
    const app = new App({ context: { ...CDK_CONTEXT, '@aws-cdk/core:validateAgainstDefaultRules': false } });
    const stack = new Stack(app, 'Open');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 });
    vpc.addFlowLog('FlowLog');
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc, description: 'open' });
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(22));
    Validations.of(sg).acknowledge({ id: 'AwsSolutions-EC23', reason: 'test of the check' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const findings = unacknowledgedFindings(app);
    expect(findings.map((f) => f.rule)).toContain('W2508');
    expect(findings.map((f) => f.rule)).not.toContain('AwsSolutions-EC23');
  });
});
