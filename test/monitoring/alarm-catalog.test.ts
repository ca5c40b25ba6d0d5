// The alarm catalog is the one source of every default alarm: the override keys, their docs and
// the table of docs/monitoring.md are checked against it.
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Microservice, MicroservicePlatform, ServiceCache } from '../../lib';
import { ALARM_CATALOG, describeDefault, renderAlarmTable } from '../../lib/monitoring/alarm-catalog';
import { IMAGE, testApp } from '../util';

const OPTIONS = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'monitoring', 'alarm-options.ts'), 'utf8');
const MONITORING_DOC = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'monitoring.md'), 'utf8');

test('every override key documents the default of its catalog entry', () => {
  const documented = [...OPTIONS.matchAll(/@default - (.*?) \*\/\n\s+readonly (\w+)\?: AlarmOverride;/g)].map((m) => [m[2], m[1]]);
  expect(documented.map(([k]) => k).sort()).toEqual(Object.keys(ALARM_CATALOG).sort());
  for (const [key, doc] of documented) expect([key, doc]).toEqual([key, describeDefault(ALARM_CATALOG[key as keyof typeof ALARM_CATALOG])]);
});

test("the table of default alarms in docs/monitoring.md is the catalog's", () => {
  expect(MONITORING_DOC).toContain(renderAlarmTable());
  expect(renderAlarmTable().split('\n')).toHaveLength(Object.keys(ALARM_CATALOG).length + 2);
});

test('ids are unique, severities and rollbacks consistent: only critical alarms roll back', () => {
  const ids = Object.values(ALARM_CATALOG).map((s) => s.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const s of Object.values(ALARM_CATALOG)) if (s.rollback) expect(s.severity).toBe('critical');
});

test('a service creates exactly the catalog entries its parts measure, with the catalog settings', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'P'), 'P');
  const stack = new Stack(app, 'S');
  const service = new Microservice(stack, 'Svc', {
    platform, image: IMAGE, cache: ServiceCache.valkey({ replicas: 1 }), api: { routes: [{ path: '/a', public: true }] },
  });
  // An HTTP API on Cloud Map, a node-based cache with a replica, Service Connect: neither load
  // balancer, serverless cache nor Envoy entries.
  const keys: Array<keyof typeof ALARM_CATALOG> = ['cpuUtilization', 'memoryUtilization', 'runningTasks', 'deploymentAlertsUndelivered', 'apiServerErrorRate', 'apiClientErrorRate',
    'apiLatencyP99', 'apiIntegrationLatencyP99', 'apiThrottled', 'meshServerErrors', 'meshLatency', 'cacheEngineCpu', 'cacheMemory', 'cacheEvictions',
    'cacheConnections', 'cacheReplicationLag'];
  const expected = keys.map((k) => ALARM_CATALOG[k]);
  expect(Object.keys(service.alarms).sort()).toEqual(expected.map((s) => s.id).sort());
  const t = Template.fromStack(stack);
  for (const s of expected) {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `S-svc-${s.id}`,
      Threshold: s.threshold,
      EvaluationPeriods: s.evaluationPeriods,
      DatapointsToAlarm: s.evaluationPeriods,
      ComparisonOperator: s.comparison === '>' ? 'GreaterThanThreshold' : 'GreaterThanOrEqualToThreshold',
    });
  }
});
