import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { ApiAuthorizer, FaultInjection, Microservice, MicroservicePlatform, MicroserviceProps , Tracing } from '../../lib';
import { StrictControlTowerChecks } from '../guard';
import { unacknowledgedFindings } from '../nag';
import { annotationsOf, IMAGE } from '../util';

/**
 * The README's quick start, as written there (a plain `new App()`, no feature flag), optionally
 * without its two lines for regulated accounts, and with more services on its platform.
 */
function quickStart(o: {
  retention?: boolean; user?: boolean; checked?: boolean; more?: { [id: string]: Omit<MicroserviceProps, 'platform'> }; context?: { [key: string]: string };
} = {}) {
  const app = new App({ context: o.context });
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {
    auth: ApiAuthorizer.cognito(),
    ...(o.retention === false ? {} : { logs: { retention: logs.RetentionDays.ONE_YEAR } }),
  });
  new Microservice(new Stack(app, 'Orders'), 'Orders', {
    platform,
    image: IMAGE,
    containerPort: 8080,
    ...(o.user === false ? {} : { user: '101' }),
    api: {
      throttle: { rateLimit: 100, burstLimit: 200 },
      routes: [{ path: '/orders', methods: [apigwv2.HttpMethod.GET], scopes: ['orders/read'] }],
      consumers: [{ name: 'checkout', scopes: ['orders/read'] }],
    },
  });
  for (const [id, props] of Object.entries(o.more ?? {})) new Microservice(new Stack(app, id), id, { platform, ...props });
  if (o.checked) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new StrictControlTowerChecks());
  return { app, platform };
}

/**
 * The construct paths a validation report lists under `rule`: the report has a block per finding
 * (blank-line separated) with an `ERROR [<rule>]` line and a `<path> (<logical id>) <type>` line.
 */
function reported(message: string, rule: string): string[] {
  const blocks = message.split(/\n\s*\n/);
  return blocks.filter((b) => b.includes(`[${rule}]`))
    .flatMap((b) => [...b.matchAll(/^\s+(\S+\/Resource) \(/gm)].map((m) => m[1]));
}

function synthError(app: App): string {
  try {
    unacknowledgedFindings(app);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the validation to fail, it passed');
}

describe('the README quick start under cdk-nag and AWS Control Tower\'s proactive controls', () => {
  test('has no unacknowledged finding', () => {
    expect(unacknowledgedFindings(quickStart({ checked: true }).app)).toEqual([]);
  });

  // One app without both lines (the guard spawns a binary per app): each control reports exactly
  // what its line fixes, and nothing else fails.
  test('without logs.retention and user, CT.CLOUDWATCH.PR.2 reports each log group and CT.ECS.PR.3 the task definition, nothing else', () => {
    const message = synthError(quickStart({ checked: true, retention: false, user: false }).app);
    expect(reported(message, 'CT.CLOUDWATCH.PR.2').sort()).toEqual([
      'Orders/Orders/Api/AccessLogs/Resource',
      'Orders/Orders/LogGroup/Resource',
      'Platform/Platform/FlowLogGroup/Resource',
    ]);
    expect(reported(message, 'CT.ECS.PR.3')).toEqual(['Orders/Orders/TaskDefinition/Resource']);
    const rules = [...message.matchAll(/ERROR \[([^\]]+)\]/g)].map((m) => m[1]);
    expect([...new Set(rules)].sort()).toEqual(['CT.CLOUDWATCH.PR.2', 'CT.ECS.PR.3']);
    expect(message).not.toMatch(/AwsSolutions-/);
  });
});

describe('the quick start in a fresh app, with no cdk.json', () => {
  const warningsOf = (app: App) => app.node.children.filter((c): c is Stack => c instanceof Stack)
    .flatMap((s) => annotationsOf(s).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data)));

  test('warns only that cross-stack references default to strong; the one line the README gives removes it: cdk synth --strict passes', () => {
    // aws-cdk-lib warns once per app when @aws-cdk/core:defaultCrossStackReferences is not set,
    // although the library's references are weak whatever the flag (set on the producers).
    const fresh = warningsOf(quickStart().app);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatch(/^No cross-stack-reference strength configured, defaulting to "strong"/);
    expect(warningsOf(quickStart({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'weak' } }).app)).toEqual([]);
  });

  test('closes the VPC\'s default security group whatever the feature flags (NIST 800-53 VPCDefaultSecurityGroupClosed)', () => {
    const { platform } = quickStart();
    expect(Object.keys(Template.fromStack(Stack.of(platform)).findResources('Custom::VpcRestrictDefaultSG'))).toHaveLength(1);
    // A second app: the first is synthesized already, and a plugin added now would not run.
    const { app } = quickStart();
    Validations.of(app).addPlugins(new NIST80053R5Checks(app));
    // The pack's other findings (docs/security.md lists them) are errors: synthesis fails, listing every one.
    const message = synthError(app);
    expect(message).toMatch(/NIST\.800\.53\.R5-IAMNoInlinePolicy/);
    expect(message).not.toMatch(/VPCDefaultSecurityGroupClosed/);
  });
});

describe('a container the user adds to the task is judged as the user\'s, whatever the library adds', () => {
  // A root, writable container with a plain variable, added with addSidecar() to
  // a hardened service: with fault injection (whose SSM agent is the library's root, writable
  // container with variables) the findings must be the same as without.
  const findings = (faultInjection: boolean) => {
    const app = new App();
    const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { logs: { retention: logs.RetentionDays.ONE_YEAR } });
    const svc = new Microservice(new Stack(app, 'Orders'), 'Orders', {
      platform, image: IMAGE, user: '101', tracing: Tracing.openTelemetry(), ...(faultInjection ? { faultInjection: FaultInjection.enabled() } : {}),
    });
    svc.addSidecar('Agent', { image: IMAGE, cpu: 64, memoryLimitMiB: 64, essential: false, environment: { MODE: 'x' }, readonlyRootFilesystem: false });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new StrictControlTowerChecks());
    const message = synthError(app);
    // Each report block names the rule, then the construct path (the guard's and cdk-nag's formats alike).
    const blocks = message.split(/\n\s*\n/);
    return ['CT.ECS.PR.3', 'CT.ECS.PR.6', 'AwsSolutions-ECS2'].map((rule) => [rule, blocks
      .filter((b) => b.includes(`[${rule}]`) || b.includes(`::${rule}'`))
      .flatMap((b) => [...b.matchAll(/^\s+(\S+\/Resource) /gm)].map((m) => m[1]))]);
  };

  test('CT.ECS.PR.3, CT.ECS.PR.6 and AwsSolutions-ECS2 report the task definition with fault injection as without it', () => {
    const expected = ['CT.ECS.PR.3', 'CT.ECS.PR.6', 'AwsSolutions-ECS2'].map((rule) => [rule, ['Orders/Orders/TaskDefinition/Resource']]);
    expect(findings(false)).toEqual(expected);
    expect(findings(true)).toEqual(expected);
  });
});

describe('what the controls check, without them', () => {
  // The quick start plus a traced service: a sidecar's reservation comes off the app container's memory.
  const { app } = quickStart({ more: { Traced: { image: IMAGE, user: '101', tracing: Tracing.openTelemetry(), cpu: 256, memoryLimitMiB: 512 } } });
  const stacks = app.node.children.filter((c): c is Stack => c instanceof Stack);
  const templates = stacks.map((s) => [s.stackName, Template.fromStack(s).toJSON()] as const);
  const all = (type: string) => templates.flatMap(([name, t]) => Object.entries<any>(t.Resources)
    .filter(([, r]) => r.Type === type).map(([id, r]) => ({ stack: name, id, template: t, r })));
  const typeOf = (t: any, ref: any) => t.Resources[ref?.['Fn::GetAtt']?.[0] ?? ref?.Ref]?.Type;

  test('every log group is encrypted with a KMS key of its own stack by default; logs: { encryption: false } turns that off', () => {
    const groups = all('AWS::Logs::LogGroup');
    expect(groups.map((g) => g.stack).sort()).toEqual(expect.arrayContaining(['Orders', 'Platform', 'Traced']));
    for (const g of groups) expect({ group: `${g.stack}/${g.id}`, key: typeOf(g.template, g.r.Properties.KmsKeyId) }).toEqual({ group: `${g.stack}/${g.id}`, key: 'AWS::KMS::Key' });

    // logs: { encryption: false } on the platform leaves every log group without a KMS key, and creates no log key.
    const plain = new App();
    const platform = new MicroservicePlatform(new Stack(plain, 'Platform'), 'Platform', { logs: { encryption: false } });
    const svc = new Stack(plain, 'Orders');
    new Microservice(svc, 'Orders', { platform, image: IMAGE, api: { routes: [{ path: '/orders', public: true }] } });
    for (const stack of [platform.node.scope as Stack, svc]) {
      const t = Template.fromStack(stack);
      const plainGroups = Object.values(t.findResources('AWS::Logs::LogGroup'));
      expect(plainGroups.length).toBeGreaterThan(0);
      for (const g of plainGroups) expect(g.Properties.KmsKeyId).toBeUndefined();
      expect(Object.values(t.findResources('AWS::KMS::Key')).map((k) => k.Properties.Description)).not.toContainEqual(expect.stringMatching(/log groups/));
    }
  });

  test('every alarm has an action', () => {
    const alarms = all('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(10);
    for (const a of alarms) expect({ alarm: a.id, actions: (a.r.Properties.AlarmActions ?? []).length > 0 }).toEqual({ alarm: a.id, actions: true });
  });

  test('every container has a memory hard limit and names a user', () => {
    const containers = all('AWS::ECS::TaskDefinition').flatMap((t) => t.r.Properties.ContainerDefinitions.map((c: any) => ({ task: t.id, ...c })));
    expect(containers.map((c) => c.Name).sort()).toEqual(['app', 'app', 'otel-collector']);
    for (const c of containers) {
      expect({ container: `${c.task}/${c.Name}`, memory: typeof c.Memory, user: typeof c.User }).toEqual({ container: `${c.task}/${c.Name}`, memory: 'number', user: 'string' });
    }
  });

  test('the app container may use what the task has left after the sidecars\' reservations', () => {
    const tasks = Object.fromEntries(all('AWS::ECS::TaskDefinition').map((t) => [t.stack, t.r.Properties]));
    const app_ = (stack: string) => tasks[stack].ContainerDefinitions.find((c: any) => c.Name === 'app');
    // No sidecar: the whole task (1024 MiB).
    expect(tasks.Orders.Memory).toBe('1024');
    expect(app_('Orders').Memory).toBe(1024);
    // Tracing: 512 MiB less the collector's 64 MiB reservation; the collector itself is held to 256 MiB.
    const collector = tasks.Traced.ContainerDefinitions.find((c: any) => c.Name === 'otel-collector');
    expect(tasks.Traced.Memory).toBe('512');
    expect(collector).toMatchObject({ MemoryReservation: 64, Memory: 256 });
    expect(app_('Traced').Memory).toBe(512 - 64);
  });

  test('public subnets give nothing a public IP on launch', () => {
    const publicSubnets = all('AWS::EC2::Subnet').filter((s) => s.r.Properties.Tags.some((t: any) => t.Key === 'aws-cdk:subnet-type' && t.Value === 'Public'));
    expect(publicSubnets).toHaveLength(2);
    for (const s of publicSubnets) expect(s.r.Properties.MapPublicIpOnLaunch).toBe(false);
  });

  test('every KMS key denies kms:CreateGrant unless the grant is for an AWS resource or an AWS service asks', () => {
    const keys = all('AWS::KMS::Key');
    // The platform's alarm-topic key and a log key in each stack.
    expect(keys.map((k) => k.stack).sort()).toEqual(['Orders', 'Platform', 'Platform', 'Traced']);
    for (const k of keys) {
      expect(k.r.Properties.KeyPolicy.Statement).toContainEqual({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      });
    }
  });

  test("each log key lets CloudWatch Logs of the stack's region use it for that stack's own log groups only, each named", () => {
    const logKeys = all('AWS::KMS::Key').filter((k) => /log groups/.test(k.r.Properties.Description));
    expect(logKeys.map((k) => k.stack).sort()).toEqual(['Orders', 'Platform', 'Traced']);
    for (const k of logKeys) {
      const [statement] = k.r.Properties.KeyPolicy.Statement.filter((st: any) => JSON.stringify(st.Principal).includes('logs.'));
      expect(statement.Principal).toEqual({ Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } });
      // CloudWatch Logs guide, "Encrypt log data in CloudWatch Logs using AWS KMS": the encryption
      // context is the log group's ARN. Exactly the stack's encrypted log groups, no wildcard.
      const arns: any[] = statement.Condition.ArnEquals['kms:EncryptionContext:aws:logs:arn'];
      const groupsOfStack = Object.values<any>(k.template.Resources).filter((r) => r.Type === 'AWS::Logs::LogGroup' && r.Properties.KmsKeyId);
      const text = (v: any) => (typeof v === 'string' ? v : v['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : '#')).join(''));
      expect(arns.map(text).sort()).toEqual(groupsOfStack.map((g) => `arn:#:logs:#:#:log-group:${text(g.Properties.LogGroupName)}`).sort());
      expect(arns.map(text).join()).not.toContain('*');
    }
  });
});
