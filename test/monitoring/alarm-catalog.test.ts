// The alarm catalog is the one source of every default alarm: the override keys, their docs, the
// keys of ServiceMonitoring.alarms and the table of docs/monitoring.md are checked against it.
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Microservice, MicroservicePlatform, ServiceCache } from '../../lib';
import { ALARM_CATALOG, AlarmEntry, describeDefault, FLAT_ALARM_KEYS, renderAlarmTable, specOf, specsOf } from '../../lib/monitoring/alarm-catalog';
import type { AlarmKey } from '../../lib/private/binding';
import { IMAGE, testApp } from '../util';

const ROOT = path.join(__dirname, '..', '..');
const OPTIONS = fs.readFileSync(path.join(ROOT, 'lib', 'monitoring', 'alarm-options.ts'), 'utf8');
const MONITORING_DOC = fs.readFileSync(path.join(ROOT, 'docs', 'monitoring.md'), 'utf8');
const CHANGELOG = fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');
const KEYS = Object.keys(ALARM_CATALOG) as AlarmKey[];

/** Each group of `MicroserviceAlarmOptions`: its prop, its interface, and the `@default` of each override key in that interface. */
function documentedGroups(): Map<string, Map<string, string>> {
  const groups = new Map<string, Map<string, string>>();
  const options = OPTIONS.match(/export interface MicroserviceAlarmOptions \{([\s\S]*?)\n\}/)![1];
  for (const [, layer, type] of options.matchAll(/readonly (\w+)\?: (\w+AlarmOverrides);/g)) {
    const body = OPTIONS.match(new RegExp(`export interface ${type} \\{([\\s\\S]*?)\\n\\}`))![1];
    const keys = new Map<string, string>();
    // A one-line doc (`/** ... @default - x */`) or a block whose last tag is `@default - x`.
    for (const [, doc, name] of body.matchAll(/@default - (.*?)\s*(?:\*\/|\n\s*\*\/)\n\s+readonly (\w+)\?: AlarmOverride;/g)) keys.set(name, doc);
    groups.set(layer, keys);
  }
  return groups;
}

test('every override key, in its layer\'s group, documents the default of its catalog entry', () => {
  const documented = [...documentedGroups()].flatMap(([layer, keys]) => [...keys].map(([name, doc]) => [`${layer}.${name}`, doc]));
  expect(documented.map(([k]) => k).sort()).toEqual([...KEYS].sort());
  for (const [key, doc] of documented) expect([key, doc]).toEqual([key, describeDefault(ALARM_CATALOG[key as AlarmKey])]);
});

test('keys inside a group do not repeat the layer: alarms.api.latencyP99, not alarms.api.apiLatencyP99', () => {
  for (const key of KEYS) {
    const [layer, name] = key.split('.');
    expect([key, name.toLowerCase().startsWith(layer.toLowerCase().replace(/s$/, ''))]).toEqual([key, false]);
  }
});

test("the table of default alarms in docs/monitoring.md is the catalog's, a row per data plane for the mesh's keys", () => {
  expect(MONITORING_DOC).toContain(renderAlarmTable());
  const rows = KEYS.flatMap((k) => specsOf(ALARM_CATALOG[k]));
  expect(renderAlarmTable().split('\n')).toHaveLength(rows.length + 2);
  expect(renderAlarmTable()).toMatch(/\| `mesh.serverErrors` \| on Service Connect \| MeshServerErrors \| .*per 5 minutes/);
  expect(renderAlarmTable()).toMatch(/\| `mesh.serverErrors` \| on Envoy \| MeshServerErrorRate \| .*\(%\)/);
});

test('ids are unique, severities and rollbacks consistent: only critical alarms roll back', () => {
  const specs = KEYS.flatMap((k) => specsOf(ALARM_CATALOG[k]).map((s) => s.spec));
  const ids = specs.map((s) => s.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const s of specs) if (s.rollback) expect(s.severity).toBe('critical');
});

test('one key is one signal: every variant of an entry has the same severity and rollback, and says its data plane', () => {
  const withVariants = KEYS.filter((k) => 'variants' in ALARM_CATALOG[k]);
  expect(withVariants).toEqual(['mesh.serverErrors', 'mesh.latency']);
  for (const key of withVariants) {
    const specs = specsOf(ALARM_CATALOG[key]);
    expect(specs.map((s) => s.variant)).toEqual(['serviceConnect', 'envoy']);
    expect(new Set(specs.map((s) => `${s.spec.severity}/${s.spec.rollback}`)).size).toBe(1);
    expect(specs.map((s) => s.spec.when)).toEqual([expect.stringMatching(/^on Service Connect/), expect.stringMatching(/^on Envoy/)]);
  }
  // The two planes measure 5XX in their own unit: a count on Service Connect, a percentage on Envoy.
  expect(specOf('mesh.serverErrors', 'serviceConnect').what).not.toContain('%');
  expect(specOf('mesh.serverErrors', 'envoy').what).toContain('(%)');
  expect(() => specOf('mesh.serverErrors')).toThrow(/has variants serviceConnect, envoy: a part supplied none/);
});

test('every flat key of before the groups has its new key, and the CHANGELOG\'s table says so', () => {
  const entry = (k: AlarmKey): AlarmEntry => ALARM_CATALOG[k];
  for (const [flat, key] of Object.entries(FLAT_ALARM_KEYS)) {
    expect(entry(key)).toBeDefined();
    expect(CHANGELOG).toContain(`| \`${flat}\` | \`${key}\` |`);
  }
  // Every key has at least one flat ancestor: the mesh's neutral keys two.
  expect(new Set(Object.values(FLAT_ALARM_KEYS))).toEqual(new Set(KEYS));
});

test('a service creates exactly the catalog entries its parts measure, with the catalog settings, under their keys', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'P'), 'P');
  const stack = new Stack(app, 'S');
  const service = new Microservice(stack, 'Svc', {
    platform, image: IMAGE, cache: ServiceCache.valkey({ replicas: 1 }), api: { routes: [{ path: '/a', public: true }] },
  });
  // An HTTP API on Cloud Map, a node-based cache with a replica, Service Connect: neither load
  // balancer, serverless cache nor edge entries.
  const keys: AlarmKey[] = ['tasks.cpuUtilization', 'tasks.memoryUtilization', 'tasks.runningTasks',
    'api.serverErrorRate', 'api.clientErrorRate', 'api.latencyP99', 'api.integrationLatencyP99', 'api.throttled', 'mesh.serverErrors', 'mesh.latency',
    'cache.engineCpu', 'cache.memory', 'cache.evictions', 'cache.connections', 'cache.replicationLag'];
  expect(Object.keys(service.alarms).sort()).toEqual([...keys].sort());
  const t = Template.fromStack(stack);
  for (const key of keys) {
    const s = specOf(key, key.startsWith('mesh.') ? 'serviceConnect' : undefined);
    expect(service.alarms[key].node.id).toBe(s.id);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `S-svc-${s.id}`,
      Threshold: s.threshold,
      EvaluationPeriods: s.evaluationPeriods,
      DatapointsToAlarm: s.evaluationPeriods,
      ComparisonOperator: s.comparison === '>' ? 'GreaterThanThreshold' : 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  }
});
