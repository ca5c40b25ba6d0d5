// examples/multi-repo: three apps of three repositories, each synthesized on its own. The platform
// app first; payments with the context its contract lookups need, derived from the platform's
// assembly; orders with the context of both (MicroserviceTesting.lookupContext), as a team's CI
// does with no AWS credentials. Each passes AwsSolutions and Control Tower, and is snapshotted.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build as buildOrders } from '../examples/multi-repo/orders';
import { build as buildPayments } from '../examples/multi-repo/payments';
import { build as buildPlatform, ENV } from '../examples/multi-repo/platform';
import { MicroserviceTesting, normalizeTemplate } from '../lib';
import { StrictControlTowerChecks } from './guard';
import { unacknowledgedFindings } from './nag';
import { CDK_CONTEXT } from './util';

function synthesize(build: (app: App) => App, assemblies: string[], own: { [key: string]: unknown } = {}): { app: App; outdir: string; stack: Stack; findings: unknown[] } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'multi-repo-'));
  const context = assemblies.length > 0 ? MicroserviceTesting.lookupContext(assemblies, ENV) : {};
  const app = build(new App({ outdir, context: { ...CDK_CONTEXT, ...own, ...context } }));
  Validations.of(app).addPlugins(new StrictControlTowerChecks());
  const findings = unacknowledgedFindings(app);
  const stack = app.node.children.find((c): c is Stack => Stack.isStack(c))!;
  return { app, outdir, stack, findings };
}

// What `cdk synth` keeps in the platform app's cdk.context.json after its first lookup: the zones of its VPC.
const PLATFORM_CONTEXT = { [`availability-zones:account=${ENV.account}:region=${ENV.region}`]: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] };
const platform = synthesize(buildPlatform, [], PLATFORM_CONTEXT);
const payments = synthesize(buildPayments, [platform.outdir]);
const orders = synthesize(buildOrders, [platform.outdir, payments.outdir]);
const t = Template.fromStack(orders.stack);

describe.each([['platform', platform], ['payments', payments], ['orders', orders]] as const)('the %s app', (_name, synthesized) => {
  test('synthesizes on its own with no missing context and no unacknowledged finding', () => {
    expect(synthesized.findings).toEqual([]);
    expect(synthesized.app.synth().manifest.missing ?? []).toEqual([]);
  });

  test('matches its snapshot', () => {
    expect(normalizeTemplate(synthesized.stack)).toMatchSnapshot();
  });
});

describe('orders, in its own repository', () => {
  const paymentsTemplate = Template.fromStack(payments.stack);
  const paymentsSg = Object.keys(paymentsTemplate.findResources('AWS::EC2::SecurityGroup'));

  test('calls payments at its Service Connect name, with payments\' timeout from its contract', () => {
    const app = Object.values<any>(t.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions[0];
    expect(app.Environment).toContainEqual({ Name: 'PAYMENTS_URL', Value: 'http://payments:8080' });
  });

  test('admits itself into payments\' tasks with a rule of its own stack, on payments\' literal security group', () => {
    const rules = Object.values<any>(t.findResources('AWS::EC2::SecurityGroupIngress'));
    const toPayments = rules.filter((r) => typeof r.Properties.GroupId === 'string' && /^sg-[0-9a-f]{17}$/.test(r.Properties.GroupId));
    expect(toPayments).toHaveLength(1);
    expect(toPayments[0].Properties).toMatchObject({ FromPort: 8080, ToPort: 8080, IpProtocol: 'tcp' });
    expect(paymentsSg.length).toBeGreaterThan(0);
  });

  test('subscribes to payments\' topic by its ARN from the contract, with a queue of its own', () => {
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:Payments_payments_payment-taken' });
    const app = Object.values<any>(t.findResources('AWS::ECS::TaskDefinition'))[0].Properties.ContainerDefinitions[0];
    expect(app.Environment.map((e: any) => e.Name)).toContain('PAYMENT_TAKEN_QUEUE_URL');
  });

  test('references neither the platform\'s nor payments\' stack, and depends on neither', () => {
    expect(JSON.stringify(t.toJSON())).not.toMatch(/Fn::GetStackOutput|Fn::ImportValue/);
    expect(orders.stack.dependencies).toEqual([]);
  });
});

// The validator costs seconds a synthesis: orders (an API, a call and a subscription) runs with it.
describe.each([['payments', buildPayments, 1, 'false'], ['orders', buildOrders, 2, 'true']] as const)('the %s app\'s first synthesis, before the CLI looked anything up', (_name, build, lookups, validator) => {
  // What `cdk synth` runs first in a fresh clone: no cdk.context.json. The contracts are
  // placeholders, nothing is judged on them, and the assembly lists what the CLI must look up.
  const app = build(new App({ context: CDK_CONTEXT }));

  test(`completes (CloudFormation's validator ${validator === 'true' ? 'on, as `cdk synth` runs it' : 'off'}), and lists each contract as missing context for the CLI to look up`, () => {
    const validation = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = validator;
    let assembly;
    try {
      assembly = app.synth();
    } finally {
      process.env.CDK_VALIDATION = validation;
    }
    const missing = (assembly.manifest.missing ?? []).map((m) => m.key).sort();
    expect(missing).toHaveLength(lookups);
    for (const key of missing) expect(key).toMatch(/^ssm:account=123456789012:parameterName=\/cdk-microservice\/shop\/(platform|services\/payments):region=eu-west-1$/);
  });
});
