import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ApiIntegration, Microservice, MicroservicePlatform, ServiceCache } from '../../lib';
import { IMAGE, testApp } from '../util';
import { parseBody, sketch, widgetsOf } from './dashboard-sketch';

const app = testApp();
const platformStack = new Stack(app, 'Platform');
const platform = new MicroservicePlatform(platformStack, 'Platform');
const ordersStack = new Stack(app, 'Orders');
new Microservice(ordersStack, 'Orders', {
  platform, image: IMAGE, api: { integration: ApiIntegration.loadBalancer(), routes: [{ path: '/x', public: true }] }, cache: ServiceCache.valkey(),
});
const paymentsStack = new Stack(app, 'Payments');
new Microservice(paymentsStack, 'Payments', { platform, image: IMAGE });
const bodyOf = (stack: Stack) => parseBody(Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
const monitoringDoc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'monitoring.md'), 'utf8');

test('the service dashboard: alarm status, golden signals, then API, load balancer, tasks, cache, mesh', () => {
  const widgets = widgetsOf(bodyOf(ordersStack));
  expect(widgets.map((w) => w.title)).toEqual([
    'orders: alarms',
    'Traffic (requests)', 'Errors', 'Latency p99 (ms)', 'Saturation (%)',
    'API: requests and throttled', 'API: 4XX and 5XX', 'API: latency and integration latency p99',
    'Load balancer: target 5XX', 'Load balancer: healthy and unhealthy targets', 'Load balancer: target response time p99 (s)',
    'Tasks: CPU (%)', 'Tasks: memory (%)', 'Tasks: running and desired',
    'Cache: engine CPU and memory (%)', 'Cache: evictions', 'Cache: connections',
    'Mesh: responses by code class', 'Mesh: 4XX and 5XX', 'Mesh: response time (ms)', 'Mesh metrics',
  ]);
  expect(widgets[0]).toMatchObject({ y: 0, width: 24 });
});

test('the overview dashboard: fixed graphs of every service of the cluster, one Metrics Insights query each, and the platform stack depends on no service', () => {
  const widgets = widgetsOf(bodyOf(platformStack));
  expect(widgets.map((w) => w.title)).toEqual([
    'Platform/Platform',
    'CPU utilization (%), by service (busiest 20)', 'Memory utilization (%), by service (busiest 20)', 'Running tasks, by service (fewest 20)',
    "Failed deployments (the platform's rule)",
    'Service Connect: 5XX responses, by callee (worst 20)', 'Service Connect: slowest response time (ms), by callee (worst 20)',
    'Queue backlogs of the account and region: messages waiting (largest 20)',
  ]);
  // The dashboard body structure allows one Metrics Insights query per widget.
  const body = JSON.stringify(Template.fromStack(platformStack).findResources('AWS::CloudWatch::Dashboard'));
  const queries = (parseBody(Object.values(Template.fromStack(platformStack).findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody).widgets as any[])
    .map((w) => (w.properties?.metrics ?? []).flat().filter((m: any) => /^SELECT /.test(m?.expression ?? '')).length);
  expect(Math.max(...queries)).toBe(1);
  for (const name of ['orders', 'payments']) expect(body).not.toContain(name);
  expect(platformStack.dependencies).toEqual([]);
  expect(JSON.stringify(Template.fromStack(platformStack).toJSON())).not.toMatch(/GetStackOutput|ImportValue/);
});

test('docs/monitoring.md pictures both dashboards as they are', () => {
  const pictures = `${sketch(widgetsOf(bodyOf(ordersStack)))}\n\n${sketch(widgetsOf(bodyOf(platformStack)))}`;
  expect(monitoringDoc).toContain(pictures);
});
