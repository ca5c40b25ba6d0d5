// Bad input to FaultInjection.enabled() and to a service's faultInjection: each refused with an Error
// naming the option, the allowed values and the value received, before anything is deployed; and
// the warning of a taskPercent that selects no task. Limits are FIS's documented ones (durations of
// 1 minute to 12 hours, 5 stop conditions per template) and ECS Exec's conflict with the SSM agent.
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { FaultExperiment, FaultInjection, Microservice, MicroservicePlatform } from '../../lib';
import type { FaultInjectionOptions, MicroserviceProps } from '../../lib';
import { errorOf } from './fis-fixtures';
import { IMAGE, testApp } from '../util';

const ALL = 'STOP_TASKS, CPU_STRESS, DEPENDENCY_UNREACHABLE, DEPENDENCY_LATENCY, CACHE_UNREACHABLE, CACHE_AZ_POWER';
const alarmStack = new Stack(testApp(), 'Alarms');
let alarmCount = 0;
/** `n` alarms of another team, by ARN. */
const alarms = (n: number): cloudwatch.IAlarm[] => Array.from({ length: n }, () => {
  alarmCount += 1;
  return cloudwatch.Alarm.fromAlarmArn(alarmStack, `Alarm${alarmCount}`, `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:team-${alarmCount}`);
});

describe('FaultInjection.enabled() options', () => {
  test.each<[string, FaultInjectionOptions, RegExp]>([
    ['an experiment that is no FaultExperiment', { experiments: ['CHAOS' as FaultExperiment] },
      new RegExp(`experiments must list FaultExperiment values \\(${ALL}\\), got "CHAOS"`)],
    ['an empty experiments list', { experiments: [] }, new RegExp(`experiments must list at least one of ${ALL}, got \\[\\]; FaultInjection\\.disabled\\(\\) writes none`)],
    ['an experiment listed twice', { experiments: [FaultExperiment.STOP_TASKS, FaultExperiment.CPU_STRESS, FaultExperiment.STOP_TASKS] },
      /experiments must list each experiment once, got STOP_TASKS, CPU_STRESS, STOP_TASKS/],
    ['a duration of 59 s (FIS: at least a minute)', { duration: Duration.seconds(59) }, /duration must be a whole number of seconds between 60 and 43200, got 59 s/],
    ['a duration of 12 h 1 s (FIS: at most 12 hours)', { duration: Duration.seconds(12 * 3600 + 1) }, /duration must be a whole number of seconds between 60 and 43200, got 43201 s/],
    ['a duration of 90.5 s (not whole seconds)', { duration: Duration.millis(90_500) }, /duration must be a whole number of seconds[^\n]*got 90\.5 s/],
    ['taskPercent 0', { taskPercent: 0 }, /taskPercent must be an integer between 1 and 100, got 0/],
    ['taskPercent 101', { taskPercent: 101 }, /taskPercent must be an integer between 1 and 100, got 101/],
    ['taskPercent 1.5', { taskPercent: 1.5 }, /taskPercent must be an integer between 1 and 100, got 1\.5/],
    ['cpuPercent 0', { cpuPercent: 0 }, /cpuPercent must be an integer between 1 and 100, got 0/],
    ['cpuPercent 101', { cpuPercent: 101 }, /cpuPercent must be an integer between 1 and 100, got 101/],
    ['a latency of 0 ms', { latency: Duration.millis(0) }, /latency must be between 1 ms and 1 minute, got 0 ms/],
    ['a latency over a minute', { latency: Duration.millis(60_001) }, /latency must be between 1 ms and 1 minute, got 60001 ms/],
    ['a jitter above the latency given', { latency: Duration.millis(100), jitter: Duration.millis(101) }, /jitter must be between 0 and latency \(100 ms\), got 101 ms/],
    ['a jitter above the default latency of 200 ms', { jitter: Duration.millis(201) }, /jitter must be between 0 and latency \(200 ms\), got 201 ms/],
    ['an agentImage without a tag or digest', { agentImage: 'public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent' },
      /agentImage must be an image with a tag or digest such as "public\.ecr\.aws\/aws-fis\/aws-fis-ssm-agent-non-root@sha256:<digest>", got "public\.ecr\.aws\/amazon-ssm-agent\/amazon-ssm-agent"/],
    ['a cacheAvailabilityZone that is a region', { cacheAvailabilityZone: 'eu-west-1' },
      /cacheAvailabilityZone must be an Availability Zone name or ID such as "eu-west-1a" or "euw1-az1", got "eu-west-1"/],
    ['a cacheAvailabilityZone in upper case', { cacheAvailabilityZone: 'EU-WEST-1A' }, /cacheAvailabilityZone must be an Availability Zone name or ID[^\n]*got "EU-WEST-1A"/],
    ['6 stopAlarms (FIS: 5 stop conditions per template)', { stopAlarms: alarms(6) }, /stopAlarms must hold at most 5 alarms \(FIS's stop conditions per template\), got 6/],
  ])('refuses %s, naming the option and the value', (_name, options, expected) => {
    const message = errorOf(() => FaultInjection.enabled(options));
    expect(message).toMatch(/^Invalid props for FaultInjection\.enabled:\n/);
    expect(message).toMatch(expected);
  });

  test('reports every bad option at once', () => {
    const message = errorOf(() => FaultInjection.enabled({ taskPercent: 0, cpuPercent: 200, duration: Duration.seconds(10) }));
    expect(message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(3);
    expect(message).toMatch(/taskPercent[^\n]*got 0/);
    expect(message).toMatch(/cpuPercent[^\n]*got 200/);
    expect(message).toMatch(/duration[^\n]*got 10 s/);
  });

  test.each<[string, FaultInjectionOptions]>([
    ['no option', {}],
    ['every experiment, listed once', { experiments: Object.values(FaultExperiment) }],
    ['a duration of 60 s', { duration: Duration.seconds(60) }],
    ['a duration of 12 h', { duration: Duration.hours(12) }],
    ['taskPercent and cpuPercent 1', { taskPercent: 1, cpuPercent: 1 }],
    ['taskPercent and cpuPercent 100', { taskPercent: 100, cpuPercent: 100 }],
    ['a latency of 1 ms with no jitter', { latency: Duration.millis(1), jitter: Duration.millis(0) }],
    ['a latency of a minute and as much jitter', { latency: Duration.minutes(1), jitter: Duration.minutes(1) }],
    ['an agentImage pinned by tag, in a private registry', { agentImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/amazon-ssm-agent:3.3.1611.0' }],
    ['an agentImage pinned by digest', { agentImage: `public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent@sha256:${'a'.repeat(64)}` }],
    ['an agentImage with both a tag and a digest', { agentImage: `public.ecr.aws/amazon-ssm-agent/amazon-ssm-agent:3.3.1611.0@sha256:${'b'.repeat(64)}` }],
    ['an AZ name', { cacheAvailabilityZone: 'eu-west-1a' }],
    ['an AZ ID', { cacheAvailabilityZone: 'euw1-az1' }],
    ['an AZ name of a GovCloud region', { cacheAvailabilityZone: 'us-gov-west-1a' }],
    ['5 stopAlarms', { stopAlarms: alarms(5) }],
  ])('accepts %s', (_name, options) => {
    expect(() => FaultInjection.enabled(options)).not.toThrow();
  });
});

describe('a service\'s faultInjection', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
  let n = 0;
  const service = (props: Partial<MicroserviceProps>): Microservice => {
    n += 1;
    return new Microservice(new Stack(app, `S${n}`), `Svc${n}`, { platform, image: IMAGE, ...props });
  };
  const refusal = (props: Partial<MicroserviceProps>): string => errorOf(() => service(props));
  /** The stop conditions of every template of a service, as the alarms' ARN tokens resolve. */
  const stopConditions = (svc: Microservice) => Object.values(svc.faultInjection!.templates).map((t) => Stack.of(svc).resolve(t.stopConditions));
  const conditionsOf = (svc: Microservice, list: cloudwatch.IAlarm[]) => list.map((a) => ({ source: 'aws:cloudwatch:alarm', value: Stack.of(svc).resolve(a.alarmArn) }));

  test.each([FaultExperiment.CPU_STRESS, FaultExperiment.DEPENDENCY_UNREACHABLE, FaultExperiment.DEPENDENCY_LATENCY, FaultExperiment.CACHE_UNREACHABLE])(
    'refuses enableExecuteCommand with %s (its SSM agent sidecar and ECS Exec\'s cannot share the task), naming both',
    (experiment) => {
      const message = refusal({ enableExecuteCommand: true, faultInjection: FaultInjection.enabled({ experiments: [experiment] }) });
      expect(message).toMatch(/^Invalid props for Microservice 'S\d+\/Svc\d+':\n/);
      expect(message).toMatch(/enableExecuteCommand must be false with faultInjection experiments other than STOP_TASKS[^\n]*got true/);
    },
  );

  test('refuses enableExecuteCommand with every experiment (the default)', () => {
    expect(refusal({ enableExecuteCommand: true, faultInjection: FaultInjection.enabled() })).toMatch(/enableExecuteCommand must be false[^\n]*got true/);
  });

  test.each([[[FaultExperiment.STOP_TASKS]], [[FaultExperiment.STOP_TASKS, FaultExperiment.CACHE_AZ_POWER]]])(
    'accepts enableExecuteCommand with %j, which add no SSM agent',
    (experiments) => {
      const svc = service({ enableExecuteCommand: true, faultInjection: FaultInjection.enabled({ experiments }) });
      expect(Object.keys(svc.faultInjection!.templates)).toEqual(['StopTasks']);
      expect(svc.taskDefinition.findContainer('amazon-ssm-agent')).toBeUndefined();
    },
  );

  test('refuses a service without alarms and without stopAlarms: no experiment could be stopped', () => {
    expect(refusal({ alarms: { enabled: false }, faultInjection: FaultInjection.enabled() }))
      .toMatch(/faultInjection needs a stop condition: keep the service's alarms[^\n]*or give FaultInjection\.enabled\(\{ stopAlarms \}\), got alarms\.enabled false and no stopAlarms/);
  });

  test('refuses 5 stopAlarms beside the health alarm: 6 stop conditions, over FIS\'s 5', () => {
    expect(refusal({ faultInjection: FaultInjection.enabled({ stopAlarms: alarms(5) }) }))
      .toMatch(/faultInjection stopAlarms must hold at most 4 alarms beside the health alarm \(FIS allows 5 stop conditions per template\), got 5/);
  });

  test('accepts 4 stopAlarms beside the health alarm, which stops every template first', () => {
    const extra = alarms(4);
    const svc = service({ faultInjection: FaultInjection.enabled({ stopAlarms: extra }) });
    const expected = conditionsOf(svc, [svc.monitoring.healthAlarm!, ...extra]);
    expect(expected).toHaveLength(5);
    for (const conditions of stopConditions(svc)) expect(conditions).toEqual(expected);
  });

  test('accepts 5 stopAlarms without alarms: they alone stop every template', () => {
    const extra = alarms(5);
    const svc = service({ alarms: { enabled: false }, faultInjection: FaultInjection.enabled({ stopAlarms: extra }) });
    expect(svc.monitoring.healthAlarm).toBeUndefined();
    for (const conditions of stopConditions(svc)) expect(conditions).toEqual(conditionsOf(svc, extra));
    expect(stopConditions(svc).length).toBeGreaterThan(0);
  });

  test('accepts a service without alarms with one stopAlarm', () => {
    expect(() => service({ alarms: { enabled: false }, faultInjection: FaultInjection.enabled({ stopAlarms: alarms(1) }) })).not.toThrow();
  });
});

describe('the warning of a taskPercent that selects no task (FIS rounds the share down)', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
  let n = 0;
  const SELECTS_NO_TASK = 'cdk-microservice:faultInjectionSelectsNoTask';
  /** The faultInjectionSelectsNoTask warnings of a service with that minimum and share. */
  const warnings = (minCapacity: number, taskPercent?: number): string[] => {
    n += 1;
    const svc = new Microservice(new Stack(app, `W${n}`), `Worker${n}`, {
      platform, image: IMAGE, autoScaling: { minCapacity, maxCapacity: Math.max(minCapacity, 4) },
      faultInjection: FaultInjection.enabled({ taskPercent, experiments: [FaultExperiment.STOP_TASKS, FaultExperiment.CPU_STRESS] }),
    });
    return svc.faultInjection!.node.metadata
      .filter((m) => m.type === 'aws:cdk:warning' && String(m.data).endsWith(`[ack: ${SELECTS_NO_TASK}]`))
      .map((m) => String(m.data));
  };

  test('warns with the default 50% of a minimum of 1 task (floor(0.5) = 0), saying how many tasks would do', () => {
    expect(warnings(1)).toEqual([expect.stringMatching(
      /^taskPercent 50 of W\d+\/Worker\d+'s minimum of 1 task\(s\) selects none \(FIS rounds down[^\n]*at least 2 tasks, or raise taskPercent/,
    )]);
  });

  test('warns with 33% of 3 tasks (floor(0.99) = 0): 4 tasks would do', () => {
    expect(warnings(3, 33)).toEqual([expect.stringMatching(/taskPercent 33 of [^\n]*minimum of 3 task\(s\) selects none[^\n]*at least 4 tasks/)]);
  });

  test('warns of a worker that scales to zero', () => {
    expect(warnings(0, 100)).toEqual([expect.stringMatching(/taskPercent 100 of [^\n]*minimum of 0 task\(s\) selects none/)]);
  });

  test.each<[number, string, number | undefined]>([[2, 'the default 50', undefined], [3, '34', 34], [1, '100', 100], [10, '10', 10]])(
    'does not warn with a minimum of %d task(s) and taskPercent %s, which selects at least one',
    (minCapacity, _label, taskPercent) => {
      expect(warnings(minCapacity, taskPercent)).toEqual([]);
    },
  );
});
