// Every example synthesizes with CloudFormation's template validator on (as `cdk synth` runs it),
// cdk-nag's AwsSolutions pack and AWS Control Tower's proactive controls (cfn-guard), and leaves
// no unacknowledged error or warning.
process.env.CDK_VALIDATION = 'true';

import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Template } from 'aws-cdk-lib/assertions';
import { build as buildEnvoy } from '../examples/envoy/app';
import { build as buildEvents } from '../examples/events/app';
import { build as buildGameDays } from '../examples/game-days/app';
import { build as buildMinimal } from '../examples/minimal/app';
import { build as buildMultiService } from '../examples/multi-service/app';
import { build as buildRestApi } from '../examples/rest-api/app';
import { buildMainApp } from '../bin/main';
import { StrictControlTowerChecks } from './guard';
import { unacknowledgedFindings } from './nag';
import { CDK_CONTEXT, testApp } from './util';

const examples: Array<[string, (app: App) => App, string[]]> = [
  ['minimal', buildMinimal, ['MinimalService']],
  ['multi-service', buildMultiService, ['ShopPlatform', 'ShopCatalog', 'ShopCart']],
  ['rest-api', buildRestApi, ['RestPlatform', 'RestOrders', 'PartnerPlatform', 'RestPartners']],
  ['envoy', buildEnvoy, ['EnvoyPlatform', 'EnvoyLedger', 'EnvoyPayments', 'EnvoyPaymentsV2', 'EnvoyOrders']],
  ['events', buildEvents, ['EventsPlatform', 'EventsOrders', 'EventsBilling', 'EventsMailer']],
  ['game-days', buildGameDays, ['GameDaysPlatform', 'GameDaysOrders', 'GameDaysPayments']],
  ['bin (the main job)', buildMainApp, ['Platform', 'Orders', 'Payments']],
];

describe.each(examples)('example %s', (_name, build, stackNames) => {
  const app = build(testApp());
  Validations.of(app).addPlugins(new StrictControlTowerChecks());
  const findings = unacknowledgedFindings(app);

  test('has no unacknowledged cdk-nag, Control Tower or template-validator finding', () => {
    expect(findings).toEqual([]);
  });

  test('synthesizes the expected stacks, each under 500 resources', () => {
    const stacks = app.node.children.filter((c): c is Stack => c instanceof Stack);
    expect(stacks.map((s) => s.stackName).sort()).toEqual([...stackNames].sort());
    for (const stack of stacks) {
      const count = Object.keys(Template.fromStack(stack).toJSON().Resources).length;
      expect(count).toBeLessThan(500);
    }
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
