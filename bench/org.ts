// `npx tsx bench/org.ts`: an organisation of N services on one platform, synthesized in a fresh
// Node process per N (so peak RSS is that app's own), with CloudFormation's template validator off
// (CDK_VALIDATION=false, as bench/run.ts). It answers two questions: do synthesis time and memory
// grow at most linearly with the number of services, and which AWS quotas does such an
// organisation reach.
//
// The organisation, every service in its own stack, all alarms on:
// - service 0 is the hub; services 1..N-1 are cut by index into 5 tiers of equal size;
// - every service calls the hub (`connectTo`); a service of tier t >= 1 also calls 2 or 3
//   services drawn from tiers below t; tier 0 calls only the hub;
// - every service has an HTTP API with one Cognito scope (`svc<i>/read`): a GET route that
//   requires it and a consumer that holds it;
// - every 10th service has a cache (`ServiceCache.valkey()`);
// - every 5th service publishes a topic (`addTopic('Events<i>')`: a subscriber's queue variable
//   comes from the topic's id, so ids differ) and 3 services of higher index subscribe.
// A callee and a publisher always have a lower index than their caller and subscriber, so every
// stack dependency points the same way (towards lower indices) and there is no cycle.
//
// Prints one line per size, then the table, the growth ratios and, for the largest size, the
// count of what lands on an AWS quota.
//
//   BENCH_ORG_SIZES=100,200,300 BENCH_RUNS=1 npx tsx bench/org.ts
//   npx tsx bench/org.ts --one 300     one measurement, one JSON line (what the driver runs)
//   BENCH_ORG_KEEP=1                   keep the cloud assembly (its folder is printed on stderr)
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { App, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Microservice, MicroservicePlatform, ServiceCache } from 'cdk-microservice';
import { CDK_CONTEXT_FOR_BENCH } from './context';
import { random } from './random';

const TIERS = 5;

/** What this bench reads of a template. */
type Template = { Resources?: { [id: string]: { Type: string; Properties?: any } }; Outputs?: { [id: string]: { Value: unknown } } };

interface Quota {
  readonly what: string;
  /** The largest count per unit (per user pool, per security group, per region...). */
  readonly count: number;
  readonly per: string;
  readonly limit: string;
}

interface Figures {
  readonly services: number;
  readonly stacks: number;
  readonly wallMs: number;
  readonly peakRssMiB: number;
  readonly heapUsedMiB: number;
  readonly totalBytes: number;
  readonly platformBytes: number;
  readonly largestServiceBytes: number;
  readonly largestServiceStack: string;
  readonly maxResources: number;
  readonly maxResourcesStack: string;
  readonly resources: number;
  readonly calls: number;
  readonly topics: number;
  readonly subscriptions: number;
  readonly caches: number;
  readonly quotas: Quota[];
}


/** The organisation as plain data: who calls whom, who publishes, who subscribes, who has a cache. */
function organisation(count: number) {
  const rnd = random(count);
  const tierOf = (i: number) => (i === 0 ? -1 : Math.floor(((i - 1) * TIERS) / Math.max(1, count - 1)));
  const calls: [number, number][] = [];
  for (let i = 1; i < count; i++) {
    calls.push([i, 0]);
    const below: number[] = [];
    for (let j = 1; j < i; j++) if (tierOf(j) < tierOf(i)) below.push(j);
    const want = Math.min(below.length, 2 + Math.floor(rnd() * 2));
    for (let k = 0; k < want; k++) {
      const callee = below.splice(Math.floor(rnd() * below.length), 1)[0];
      calls.push([i, callee]);
    }
  }
  const subscriptions: [number, number][] = [];   // [subscriber, publisher]
  const publishers: number[] = [];
  for (let p = 0; p < count; p += 5) {
    const later = Array.from({ length: count - p - 1 }, (_, k) => p + 1 + k);
    if (later.length === 0) continue;
    publishers.push(p);
    for (let k = 0; k < 3 && later.length > 0; k++) subscriptions.push([later.splice(Math.floor(rnd() * later.length), 1)[0], p]);
  }
  const caches = Array.from({ length: count }, (_, i) => i).filter((i) => i % 10 === 0);
  return { tierOf, calls, publishers, subscriptions, caches };
}

/** One measurement: build, synthesize, read the templates back. */
function one(count: number): Figures {
  const org = organisation(count);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-org-${count}-`));
  const t0 = performance.now();
  const app = new App({ outdir, context: CDK_CONTEXT_FOR_BENCH });
  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {});
  const services = Array.from({ length: count }, (_, i) => new Microservice(new Stack(app, `Service${i}`), `Svc${i}`, {
    platform,
    image,
    api: {
      routes: [{ path: '/{proxy+}', methods: [apigwv2.HttpMethod.GET], scopes: [`svc${i}/read`] }],
      consumers: [{ name: 'client', scopes: [`svc${i}/read`] }],
    },
    cache: org.caches.includes(i) ? ServiceCache.valkey() : undefined,
  }));
  for (const [caller, callee] of org.calls) services[caller].connectTo(services[callee]);
  const topics = new Map(org.publishers.map((p) => [p, services[p].addTopic(`Events${p}`)]));
  for (const [subscriber, publisher] of org.subscriptions) services[subscriber].subscribe(topics.get(publisher)!);
  const assembly = app.synth();
  const wallMs = performance.now() - t0;
  // What the app holds once synthesized: the heap after a full collection (the driver passes
  // --expose-gc), the app still referenced. Peak RSS also counts garbage not yet collected.
  (globalThis as { gc?: () => void }).gc?.();
  const heapUsedMiB = process.memoryUsage().heapUsed / 1024 / 1024;
  const stacks = app.node.children.filter(Stack.isStack).length;

  const templates = new Map<string, Template>();
  let totalBytes = 0, platformBytes = 0, largestServiceBytes = 0, largestServiceStack = '', maxResources = 0, maxResourcesStack = '', resources = 0;
  for (const stack of assembly.stacks) {
    const text = fs.readFileSync(path.join(assembly.directory, stack.templateFile), 'utf8');
    const template = JSON.parse(text);
    templates.set(stack.stackName, template);
    const bytes = Buffer.byteLength(text);
    const n = Object.keys(template.Resources ?? {}).length;
    totalBytes += bytes;
    resources += n;
    if (stack.stackName === 'Platform') platformBytes = bytes;
    else if (bytes > largestServiceBytes) [largestServiceBytes, largestServiceStack] = [bytes, stack.stackName];
    if (n > maxResources) [maxResources, maxResourcesStack] = [n, stack.stackName];
  }
  const quotas = countQuotas(templates);
  if (process.env.BENCH_ORG_KEEP) console.error(`templates kept in ${outdir}`);
  else fs.rmSync(outdir, { recursive: true, force: true });
  return {
    services: count, stacks, wallMs, peakRssMiB: process.resourceUsage().maxRSS / 1024, heapUsedMiB,
    totalBytes, platformBytes, largestServiceBytes, largestServiceStack, maxResources, maxResourcesStack, resources,
    calls: org.calls.length, topics: org.publishers.length, subscriptions: org.subscriptions.length, caches: org.caches.length, quotas,
  };
}

/**
 * What lands on an AWS quota, read from the templates. A value another stack reads through
 * `Fn::GetStackOutput` is followed to the producer's output, so a security group or a user pool
 * is one key however many stacks name it.
 */
function countQuotas(templates: Map<string, Template>): Quota[] {
  const all = [...templates].flatMap(([stack, t]) => Object.entries(t.Resources ?? {}).map(([id, r]) => ({ stack, id, ...r })));
  const ofType = (type: string) => all.filter((r) => r.Type === type);
  // The resource a value names: `<stack>/<logical id>` (a Ref, a GetAtt, or a weak reference to either).
  const key = (stack: string, v: any): string => {
    if (v?.Ref) return `${stack}/${v.Ref}`;
    if (v?.['Fn::GetAtt']) return `${stack}/${v['Fn::GetAtt'][0]}`;
    const out = v?.['Fn::GetStackOutput'];
    if (out) {
      const value = templates.get(out.StackName)?.Outputs?.[out.OutputName]?.Value;
      return value ? key(out.StackName, value) : `${out.StackName}/${out.OutputName}`;
    }
    return JSON.stringify(v);
  };
  const maxPer = (items: string[]) => {
    const counts = new Map<string, number>();
    for (const k of items) counts.set(k, (counts.get(k) ?? 0) + 1);
    return { max: Math.max(0, ...counts.values()), keys: counts.size };
  };

  const resourceServers = maxPer(ofType('AWS::Cognito::UserPoolResourceServer').map((r) => key(r.stack, r.Properties.UserPoolId)));
  const clients = maxPer(ofType('AWS::Cognito::UserPoolClient').map((r) => key(r.stack, r.Properties.UserPoolId)));
  // Ingress of a group: its standalone rules and the ones written inline on the group itself.
  const ingress = maxPer([
    ...ofType('AWS::EC2::SecurityGroupIngress').map((r) => key(r.stack, r.Properties.GroupId)),
    ...ofType('AWS::EC2::SecurityGroup').flatMap((r) => (r.Properties?.SecurityGroupIngress ?? []).map(() => `${r.stack}/${r.id}`)),
  ]);
  const rules = ofType('AWS::Events::Rule');
  const insightsAlarms = ofType('AWS::CloudWatch::Alarm')
    .filter((r) => (r.Properties?.Metrics ?? []).some((m: any) => typeof m.Expression === 'string' && /\bSELECT\b/i.test(m.Expression)));
  const overview = ofType('AWS::CloudWatch::Dashboard').filter((r) => r.stack === 'Platform');
  const body = (r: { Properties?: any }) => flatten(r.Properties?.DashboardBody);
  const widgets = Math.max(0, ...overview.map((r) => (body(r).match(/"type":"(metric|text|alarm|log|explorer|custom)"/g) ?? []).length));
  const dashboardQueries = Math.max(0, ...overview.map((r) => (body(r).match(/SELECT /g) ?? []).length));
  const cloudMap = ofType('AWS::ServiceDiscovery::Service').length;
  // Service Connect creates a Cloud Map service of its own for each of a service's port mappings it serves.
  const serviceConnect = ofType('AWS::ECS::Service')
    .reduce((n, r) => n + (r.Properties?.ServiceConnectConfiguration?.Services?.length ?? 0), 0);
  // Each task registers once per Cloud Map service it is in: the service's own (A + SRV) and Service Connect's.
  const registrations = (bound: 'MinCapacity' | 'MaxCapacity') => [...templates.values()].reduce((n, t) => {
    const rs = Object.values(t.Resources ?? {});
    const tasks = rs.find((r) => r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget')?.Properties?.[bound] ?? 0;
    const perTask = rs.filter((r) => r.Type === 'AWS::ECS::Service')
      .reduce((k, r) => k + (r.Properties?.ServiceRegistries?.length ?? 0) + (r.Properties?.ServiceConnectConfiguration?.Services?.length ?? 0), 0);
    return n + tasks * perTask;
  }, 0);
  const httpApis = ofType('AWS::ApiGatewayV2::Api').length;
  const cacheNodes = ofType('AWS::ElastiCache::ReplicationGroup').reduce((n, r) => n
    + (r.Properties?.NumCacheClusters ?? (r.Properties?.NumNodeGroups ?? 1) * ((r.Properties?.ReplicasPerNodeGroup ?? 0) + 1)), 0);
  const outputs = Math.max(0, ...[...templates.values()].map((t) => Object.keys(t.Outputs ?? {}).length));
  const maxBytes = Math.max(...[...templates.values()].map((t) => Buffer.byteLength(JSON.stringify(t, undefined, 1))));
  return [
    { what: 'Cognito resource servers (AWS::Cognito::UserPoolResourceServer)', count: resourceServers.max, per: `user pool (${resourceServers.keys} pool)`, limit: '25 (adjustable, to 300 at most)' },
    { what: 'Cognito app clients (AWS::Cognito::UserPoolClient)', count: clients.max, per: 'user pool', limit: '1,000 (adjustable)' },
    { what: 'Security group ingress rules (AWS::EC2::SecurityGroupIngress + inline)', count: ingress.max, per: `security group (${ingress.keys} groups with rules)`, limit: '60 inbound (adjustable; rules x groups per ENI <= 1,000)' },
    { what: 'EventBridge rules (AWS::Events::Rule)', count: rules.length, per: 'region (default bus)', limit: '300 per bus (adjustable)' },
    { what: 'Metrics Insights alarms (SELECT in an alarm\'s Metrics Expression)', count: insightsAlarms.length, per: 'region', limit: '200 (not adjustable)' },
    { what: 'Widgets on the platform\'s overview dashboard', count: widgets, per: 'dashboard', limit: '500' },
    { what: 'Metrics Insights queries on the overview dashboard', count: dashboardQueries, per: 'dashboard', limit: '500 (Metrics Insights queries per dashboard)' },
    { what: 'Cloud Map services (AWS::ServiceDiscovery::Service)', count: cloudMap, per: 'namespace', limit: '-' },
    { what: '  + Cloud Map services Service Connect creates', count: serviceConnect, per: 'namespace', limit: '-' },
    { what: 'Cloud Map instances, every service at its minimum task count', count: registrations('MinCapacity'), per: 'namespace', limit: '2,000 instances per namespace (adjustable)' },
    { what: 'Cloud Map instances, every service at its maximum task count', count: registrations('MaxCapacity'), per: 'namespace', limit: '2,000 instances per namespace (adjustable)' },
    { what: 'HTTP APIs (AWS::ApiGatewayV2::Api)', count: httpApis, per: 'region', limit: '600 regional APIs (adjustable)' },
    { what: 'ElastiCache nodes (replication groups)', count: cacheNodes, per: 'region', limit: '300 (adjustable)' },
    { what: 'CloudFormation outputs, largest stack', count: outputs, per: 'stack', limit: '200' },
    { what: 'CloudFormation stacks', count: templates.size, per: 'region', limit: '2,000 (adjustable)' },
    { what: 'Largest template (bytes)', count: maxBytes, per: 'stack', limit: '1,000,000 (from S3)' },
  ];
}

/** The literal text of a value that may be an Fn::Join or Fn::Sub of strings and intrinsics (intrinsics dropped). */
function flatten(v: unknown): string {
  if (typeof v === 'string') return v;
  const join = (v as any)?.['Fn::Join'];
  if (join) return (join[1] as unknown[]).map(flatten).join(join[0]);
  const sub = (v as any)?.['Fn::Sub'];
  if (sub !== undefined) return [sub].flat()[0] as string;
  return '';
}

function driver(): void {
  const sizes = (process.env.BENCH_ORG_SIZES ?? '100,200,300').split(',').map(Number);
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const results: Figures[] = [];
  for (const n of sizes) {
    const samples: Figures[] = [];
    for (let r = 0; r < runs; r++) {
      const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join('bench', 'org.ts'), '--one', String(n)], {
        cwd: path.join(__dirname, '..'),
        env: { ...process.env, CDK_VALIDATION: 'false' },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        // The app's synthesis warnings (the quota annotations among them) stay out of the report;
        // a failed run throws with them.
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      samples.push(JSON.parse(out.trim().split('\n').pop()!));
    }
    const f = { ...samples[0], wallMs: median(samples.map((s) => s.wallMs)), peakRssMiB: median(samples.map((s) => s.peakRssMiB)) };
    results.push(f);
    console.log(JSON.stringify({ ...f, quotas: undefined }));
  }

  const pad = (s: string | number, n: number) => String(s).padStart(n);
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  console.log(`\norganisation: hub + ${TIERS} tiers, every service in its own stack with an HTTP API (Cognito scope), alarms on; `
    + `median of ${runs} run(s) per size; each a fresh process; CDK_VALIDATION=false\n`);
  const head = ['services', 'stacks', 'calls', 'subs', 'wall ms', 'ms/service', 'peak RSS MiB', 'RSS/service', 'heap MiB', 'total tmpl', 'platform tmpl', 'largest svc', 'max res/stack'];
  console.log(head.map((h) => pad(h, 14)).join(''));
  for (const f of results) {
    console.log([f.services, f.stacks, f.calls, f.subscriptions, f.wallMs.toFixed(0), (f.wallMs / f.services).toFixed(1), f.peakRssMiB.toFixed(0),
      (f.peakRssMiB / f.services).toFixed(2), f.heapUsedMiB.toFixed(0), kb(f.totalBytes), kb(f.platformBytes), `${kb(f.largestServiceBytes)}`, `${f.maxResources}`]
      .map((c) => pad(c, 14)).join(''));
  }
  if (results.length > 1) {
    const [a, b] = [results[0], results[results.length - 1]];
    const perService = (f: Figures) => f.wallMs / f.services;
    console.log(`\ngrowth ${a.services} -> ${b.services} services (x${(b.services / a.services).toFixed(1)}):`);
    console.log(`  ms/service          ${perService(a).toFixed(1)} -> ${perService(b).toFixed(1)}  ratio ${(perService(b) / perService(a)).toFixed(2)} (<= 1.00 is linear or better)`);
    console.log(`  RSS per added service  ${((b.peakRssMiB - a.peakRssMiB) / (b.services - a.services)).toFixed(2)} MiB `
      + `(RSS ${a.peakRssMiB.toFixed(0)} -> ${b.peakRssMiB.toFixed(0)} MiB; per service ${(a.peakRssMiB / a.services).toFixed(2)} -> ${(b.peakRssMiB / b.services).toFixed(2)})`);
    console.log(`  heap per added service ${((b.heapUsedMiB - a.heapUsedMiB) / (b.services - a.services)).toFixed(2)} MiB `
      + `(after a full GC: ${a.heapUsedMiB.toFixed(0)} -> ${b.heapUsedMiB.toFixed(0)} MiB)`);
    for (let i = 1; i < results.length; i++) {
      const [p, q] = [results[i - 1], results[i]];
      console.log(`  ${p.services} -> ${q.services}: +${((q.wallMs - p.wallMs) / (q.services - p.services)).toFixed(1)} ms, `
        + `+${((q.peakRssMiB - p.peakRssMiB) / (q.services - p.services)).toFixed(2)} MiB RSS, +${((q.heapUsedMiB - p.heapUsedMiB) / (q.services - p.services)).toFixed(2)} MiB heap per added service`);
    }
    console.log(`  template bytes/service  ${(a.totalBytes / a.services / 1024).toFixed(1)} -> ${(b.totalBytes / b.services / 1024).toFixed(1)} KB`);
    console.log(`  largest service stack: ${b.largestServiceStack} (${kb(b.largestServiceBytes)}); most resources: ${b.maxResourcesStack} (${b.maxResources})`);
  }
  const last = results[results.length - 1];
  console.log(`\nquotas at ${last.services} services (largest count per unit):`);
  console.log(`${'what'.padEnd(72)}${pad('count', 10)}  ${'per'.padEnd(44)}default quota`);
  for (const q of last.quotas) console.log(`${q.what.padEnd(72)}${pad(q.count, 10)}  ${q.per.padEnd(44)}${q.limit}`);
}

if (process.argv[2] === '--one') {
  const n = Number(process.argv[3]);
  if (!Number.isInteger(n) || n < 2) throw new Error(`usage: org.ts --one N (N >= 2), got ${process.argv[3]}`);
  console.log(JSON.stringify(one(n)));
} else if (require.main === module) {
  driver();
}
