// alarms.naming: how each alarm is named, the default being <stack>-<service>-<id>; every name a
// strategy gives is checked at synth.
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { AlarmNaming, AlarmNamingProps, IAlarmNamingStrategy, Microservice, MicroserviceAlarmOptions, MicroservicePlatform } from '../../lib';
import { IMAGE, testApp } from '../util';

function service(alarms: MicroserviceAlarmOptions) {
  const app = testApp();
  const platformStack = new Stack(app, 'P');
  const platform = new MicroservicePlatform(platformStack, 'P');
  const stack = new Stack(app, 'S');
  const svc = new Microservice(stack, 'Svc', { platform, image: IMAGE, api: { routes: [{ path: '/a', public: true }] }, alarms });
  return { svc, stack, platformStack };
}

const names = (t: Template): string[] => Object.values<any>(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName);

describe('a naming strategy of your own', () => {
  /** `<team>/<service>/<key>`: the key the alarm has in `alarms` and in `ServiceMonitoring.alarms`. */
  class TeamNaming implements IAlarmNamingStrategy {
    public readonly seen: AlarmNamingProps[] = [];
    public alarmName(props: AlarmNamingProps): string {
      this.seen.push(props);
      return `shop/${props.serviceName}/${props.key}`;
    }
  }
  const naming = new TeamNaming();
  const { svc, stack, platformStack } = service({ naming });
  svc.addAlarm('QueueDepth', { metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'QueueDepth' }), threshold: 1 });
  const t = Template.fromStack(stack);

  test('names every alarm, the health alarm and addAlarm\'s included', () => {
    expect(names(t).sort()).toEqual(Object.keys(svc.alarms).map((k) => `shop/svc/${k}`).sort());
    expect(svc.alarms['api.latencyP99'].node.id).toBe('ApiLatencyP99');
    t.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: 'shop/svc/health' });
    expect(svc.monitoring.healthAlarmName).toBe('shop/svc/health');
    expect(naming.seen).toContainEqual({ stackName: 'S', serviceName: 'svc', alarmId: 'ApiLatencyP99', key: 'api.latencyP99' });
    expect(naming.seen).toContainEqual({ stackName: 'S', serviceName: 'svc', alarmId: 'health', key: 'health' });
    expect(naming.seen).toContainEqual({ stackName: 'S', serviceName: 'svc', alarmId: 'QueueDepth', key: 'QueueDepth' });
  });

  test('the names are what the health alarm\'s rule and the deployment alarms read (the overview names no alarm)', () => {
    const rule: string = Object.values<any>(t.findResources('AWS::CloudWatch::CompositeAlarm'))[0].Properties.AlarmRule;
    expect(rule).toContain('ALARM("shop/svc/api.serverErrorRate")');
    expect(rule).toContain('ALARM("shop/svc/tasks.runningTasks")');
    t.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({ Alarms: Match.objectLike({ AlarmNames: ['shop/svc/api.serverErrorRate', 'shop/svc/mesh.serverErrors'] }) }),
    });
    expect(JSON.stringify(Template.fromStack(platformStack).findResources('AWS::CloudWatch::Dashboard'))).not.toContain('shop/svc');
  });
});

test('AlarmNaming.stackAndService() is the default: <stack>-<service>-<id>', () => {
  const byDefault = Template.fromStack(service({}).stack).toJSON();
  expect(Template.fromStack(service({ naming: AlarmNaming.stackAndService() }).stack).toJSON()).toEqual(byDefault);
  expect(names(Template.fromStack(service({}).stack))).toContain('S-svc-ApiLatencyP99');
});

test('AlarmNaming.withPrefix() names <prefix>-<id>', () => {
  const { stack, svc } = service({ naming: AlarmNaming.withPrefix('shop-orders') });
  const t = Template.fromStack(stack);
  expect(names(t)).toContain('shop-orders-ApiLatencyP99');
  t.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: 'shop-orders-health' });
  expect(svc.monitoring.healthAlarmName).toBe('shop-orders-health');
});

describe('the checks of the names', () => {
  const named = (alarmName: (p: AlarmNamingProps) => string) => () => service({ naming: { alarmName } });

  test('accepts names of 1 and of 255 characters', () => {
    expect(named((p) => p.alarmId.padEnd(255, 'x'))).not.toThrow();
    let n = 0;
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    expect(named(() => letters[n++])).not.toThrow();
  });

  test('fails on a name of 256 characters, past CloudWatch\'s limit', () => {
    expect(named((p) => p.alarmId.padEnd(256, 'x'))).toThrow(
      `Invalid props for Microservice 'S/Svc':\n  - alarms.naming must give health a name of 1 to 255 characters without ASCII control characters, got "${'health'.padEnd(256, 'x')}" (256 characters)`);
  });

  test('fails on an empty name, or one with an ASCII control character', () => {
    expect(named(() => '')).toThrow('alarms.naming must give health a name of 1 to 255 characters without ASCII control characters, got "" (0 characters)');
    expect(named((p) => `svc\n${p.key}`)).toThrow('alarms.naming must give health a name of 1 to 255 characters without ASCII control characters, got "svc\\nhealth" (10 characters)');
  });

  test('fails on two alarms of the service with one name', () => {
    expect(named((p) => `svc-${p.key.split('.')[0]}`)).toThrow(
      'alarms.naming must give each alarm of the service its own name, got "svc-tasks" for both tasks.cpuUtilization and tasks.memoryUtilization');
  });

  test('fails when alarms.naming is not a strategy, or AlarmNaming.withPrefix() has no prefix', () => {
    expect(() => service({ naming: {} as IAlarmNamingStrategy })).toThrow(
      'alarms.naming must be an IAlarmNamingStrategy (AlarmNaming.stackAndService(), withPrefix() or your own), got {}');
    expect(() => AlarmNaming.withPrefix('')).toThrow('Invalid props for AlarmNaming.withPrefix():\n  - prefix must not be empty, got ""');
    expect(() => AlarmNaming.withPrefix('x'.repeat(201))).toThrow('prefix must be 1 to 200 characters, got');
  });
});

describe('names unique where CloudWatch needs them', () => {
  test("fails when a shared strategy gives two services of one account and region the same name, naming the other's alarm", () => {
    const app = testApp();
    const platform = new MicroservicePlatform(new Stack(app, 'P'), 'P');
    const stack = new Stack(app, 'S');
    const alarms = { naming: AlarmNaming.withPrefix('team') };
    new Microservice(stack, 'Orders', { platform, image: IMAGE, alarms });
    expect(() => new Microservice(stack, 'Payments', { platform, image: IMAGE, alarms })).toThrow(
      "Invalid props for Microservice 'S/Payments':\n  - alarms.naming must give each alarm a name no other service of the account and region has (CloudWatch alarm names are unique there), got \"team-health\" for health, which S/Orders's health has");
  });

  test('the default names of two services of one stack differ, and two apps do not see each other', () => {
    for (let i = 0; i < 2; i++) {
      const app = testApp();
      const platform = new MicroservicePlatform(new Stack(app, 'P'), 'P');
      const stack = new Stack(app, 'S');
      expect(() => ['Orders', 'Payments'].map((id) => new Microservice(stack, id, { platform, image: IMAGE }))).not.toThrow();
    }
  });

  test('fails on a name with a double quote, which would end the health alarm rule\'s ALARM("...")', () => {
    const quoting: IAlarmNamingStrategy = { alarmName: (p) => `say "${p.alarmId}"` };
    expect(() => service({ naming: quoting })).toThrow('alarms.naming must give health a name without a double quote (the health alarm\'s rule quotes each name), got "say \\"health\\""');
  });
});
