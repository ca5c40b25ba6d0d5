// `alarms`: overrides grouped by layer, aws-cdk-lib's alarm fields (treatMissingData), one mesh key
// per signal on both data planes, and the checks of all of it.
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Microservice, MicroserviceAlarmOptions, MicroservicePlatform, ServiceMesh } from '../../lib';
import { IMAGE, testApp } from '../util';

/** A service with an API on a platform with the given mesh, in stack S. */
function service(alarms: MicroserviceAlarmOptions, mesh?: ServiceMesh): { svc: Microservice; t: Template } {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'P'), 'P', { mesh });
  const stack = new Stack(app, 'S');
  const svc = new Microservice(stack, 'Svc', { platform, image: IMAGE, api: { routes: [{ path: '/a', public: true }] }, alarms });
  return { svc, t: Template.fromStack(stack) };
}

const deploymentAlarms = (t: Template): string[] => Object.values<any>(t.findResources('AWS::ECS::Service'))[0].Properties.DeploymentConfiguration.Alarms.AlarmNames;

describe('overrides grouped by layer', () => {
  const { svc, t } = service({
    api: { latencyP99: { threshold: 1500, datapointsToAlarm: 2, treatMissingData: cloudwatch.TreatMissingData.BREACHING } },
    tasks: { cpuUtilization: { treatMissingData: cloudwatch.TreatMissingData.IGNORE }, memoryUtilization: { enabled: false } },
  });

  test('alarms.api.latencyP99 changes ApiLatencyP99, which ServiceMonitoring.alarms holds under the same key', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'S-svc-ApiLatencyP99', Threshold: 1500, EvaluationPeriods: 3, DatapointsToAlarm: 2, TreatMissingData: 'breaching',
    });
    expect(svc.monitoring.alarms['api.latencyP99'].node.id).toBe('ApiLatencyP99');
  });

  test('treatMissingData reaches the template; alarms without it keep notBreaching', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'S-svc-CpuUtilization', Threshold: 85, TreatMissingData: 'ignore' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'S-svc-ApiServerErrorRate', TreatMissingData: 'notBreaching' });
    t.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmName: 'S-svc-MemoryUtilization' }, 0);
  });
});

describe('mesh.serverErrors and mesh.latency are one key each, whatever the data plane', () => {
  const planes: Array<[string, () => ServiceMesh | undefined, string]> = [
    ['Service Connect', () => undefined, 'MeshServerErrors'],
    ['Envoy', () => ServiceMesh.envoy(), 'MeshServerErrorRate'],
  ];

  test.each(planes)('on %s, the same override changes the 5XX alarm, which keeps rolling back', (_plane, mesh, id) => {
    const { svc, t } = service({
      mesh: { serverErrors: { threshold: 5, evaluationPeriods: 4, treatMissingData: cloudwatch.TreatMissingData.MISSING }, latency: { enabled: false } },
    }, mesh());
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `S-svc-${id}`, Threshold: 5, EvaluationPeriods: 4, DatapointsToAlarm: 4, TreatMissingData: 'missing',
    });
    expect(svc.alarms['mesh.serverErrors'].node.id).toBe(id);
    expect(deploymentAlarms(t)).toContain(`S-svc-${id}`);
    expect(svc.alarms['mesh.latency']).toBeUndefined();
    expect(Object.values<any>(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName).filter((n) => /-MeshLatency/.test(n))).toEqual([]);
  });

  test.each(planes)('on %s, each plane keeps its own metric and unit', (plane, mesh, id) => {
    const { t } = service({}, mesh());
    if (plane === 'Envoy') {
      // A percentage of the requests callers sent, from metric math over the callers' sidecars.
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `S-svc-${id}`, Threshold: 1, EvaluationPeriods: 3, Metrics: Match.arrayWith([Match.objectLike({ ReturnData: true, Expression: Match.stringLikeRegexp('100') })]) });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'S-svc-MeshLatencyP99', Threshold: 2000 });
    } else {
      // A count, from the callee's own series (TargetDiscoveryName alone: every caller's traffic), as a
      // plain metric alarm: a region holds at most 200 Metrics Insights alarms, which AWS does not raise.
      const target = (MetricName: string, Statistic: string) => ({ Namespace: 'AWS/ECS', MetricName, Dimensions: [{ Name: 'TargetDiscoveryName', Value: 'svc-sc' }], Statistic });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: `S-svc-${id}`, Threshold: 10, EvaluationPeriods: 2, ...target('HTTPCode_Target_5XX_Count', 'Sum') });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'S-svc-MeshLatency', Threshold: 1000, ...target('TargetResponseTime', 'Average') });
      const insights = Object.values<any>(t.findResources('AWS::CloudWatch::Alarm')).filter((a) => JSON.stringify(a.Properties.Metrics ?? []).includes('SELECT '));
      expect(insights).toEqual([]);
    }
  });

  test('fails when mesh.serverErrors.threshold is a percentage above 100 on Envoy, a count Service Connect takes', () => {
    const alarms = { mesh: { serverErrors: { threshold: 150 } } };
    expect(() => service(alarms)).not.toThrow();
    expect(() => service(alarms, ServiceMesh.envoy())).toThrow("Invalid props for Microservice 'S/Svc':\n  - alarms.mesh.serverErrors.threshold (on Envoy) must be between 0 and 100, got 150");
  });

  test('fails when mesh.serverErrors.datapointsToAlarm exceeds the 2 periods of Service Connect, which Envoy\'s 3 allow', () => {
    const alarms = { mesh: { serverErrors: { datapointsToAlarm: 3 } } };
    expect(() => service(alarms, ServiceMesh.envoy())).not.toThrow();
    expect(() => service(alarms)).toThrow('alarms.mesh.serverErrors.datapointsToAlarm (on Service Connect) must be an integer between 1 and 2, got 3');
  });

  test('mesh.latency.evaluationPeriods takes up to 100 on both planes: Service Connect\'s are plain metric alarms, not Metrics Insights ones (3 hours at most)', () => {
    for (const mesh of [undefined, ServiceMesh.envoy()]) {
      expect(() => service({ mesh: { latency: { evaluationPeriods: 100 } } }, mesh)).not.toThrow();
      expect(() => service({ mesh: { latency: { evaluationPeriods: 101 } } }, mesh)).toThrow('alarms.mesh.latency.evaluationPeriods must be an integer between 1 and 100, got 101');
    }
  });
});

describe('the checks of alarms', () => {
  const fails = (alarms: object) => () => service(alarms as MicroserviceAlarmOptions);

  test('fails on a flat key of before the groups, naming its new place', () => {
    expect(fails({ apiLatencyP99: { threshold: 800 }, meshServerErrorRate: { threshold: 2 } })).toThrow(
      "Invalid props for Microservice 'S/Svc':\n"
      + '  - alarms.apiLatencyP99 is now alarms.api.latencyP99 (the overrides are grouped by layer), got alarms.apiLatencyP99\n'
      + '  - alarms.meshServerErrorRate is now alarms.mesh.serverErrors (the overrides are grouped by layer), got alarms.meshServerErrorRate');
  });

  test('fails on a group the catalog does not have', () => {
    expect(fails({ database: {} })).toThrow('alarms must have only enabled, actions, naming, tasks, deployments, api, loadBalancer, mesh, edges, cache, messaging, got database');
  });

  test('fails on a key its group does not have, such as the layer prefix repeated', () => {
    expect(fails({ api: { apiLatencyP99: {} } })).toThrow('alarms.api must have only serverErrorRate, clientErrorRate, latencyP99, integrationLatencyP99, throttled, got apiLatencyP99');
    expect(fails({ api: true })).toThrow('alarms.api must be an object of overrides (serverErrorRate, clientErrorRate, latencyP99, integrationLatencyP99, throttled), got true');
  });

  test('fails on a treatMissingData that is not a cloudwatch.TreatMissingData', () => {
    expect(fails({ api: { latencyP99: { treatMissingData: 'sometimes' } } })).toThrow(
      'alarms.api.latencyP99.treatMissingData must be one of "breaching", "notBreaching", "ignore", "missing", got "sometimes"');
  });

  test('fails on an alarm field the overrides do not take (comparisonOperator: every default alarm is an upper bound)', () => {
    expect(fails({ api: { latencyP99: { comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD } } })).toThrow(
      'alarms.api.latencyP99 must have only enabled, threshold, evaluationPeriods, datapointsToAlarm, treatMissingData, got comparisonOperator');
  });

  test('fails once with every finding', () => {
    expect(fails({ tasks: { cpuUtilization: { threshold: 101 } }, cache: { memory: { threshold: 0 } }, edges: { ejections: { evaluationPeriods: 0 } } })).toThrow(
      "Invalid props for Microservice 'S/Svc':\n"
      + '  - alarms.tasks.cpuUtilization.threshold must be between 0 and 100, got 101\n'
      + '  - alarms.cache.memory.threshold must be between 1 and 100, got 0\n'
      + '  - alarms.edges.ejections.evaluationPeriods must be an integer between 1 and 100, got 0');
  });

  test('accepts both ends of every range', () => {
    expect(fails({
      tasks: { cpuUtilization: { threshold: 0, evaluationPeriods: 100, datapointsToAlarm: 100 }, memoryUtilization: { threshold: 100, evaluationPeriods: 1, datapointsToAlarm: 1 } },
      cache: { memory: { threshold: 1 }, connections: { threshold: 65000 } },
    })).not.toThrow();
  });
});
