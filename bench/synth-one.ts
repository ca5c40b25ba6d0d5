// One measurement, in a fresh process: build and synthesize an app of N services with this
// library ("ours") or with the hand-written peer, then print one JSON line of figures.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { App, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Duration } from 'aws-cdk-lib';
import { Microservice, MicroservicePlatform, RetryPolicy, ServiceMesh } from 'cdk-microservice';
import { peerStacks, peerStacksWithApi } from './peer/hand-written';
import { CDK_CONTEXT_FOR_BENCH } from './context';

const [impl, countArg, variant = 'ecs'] = process.argv.slice(2);
const count = Number(countArg);
if (!['ours', 'peer'].includes(impl) || !Number.isInteger(count) || count < 1 || !['ecs', 'ecs+api', 'ecs+envoy', 'ecs+events'].includes(variant)) {
  throw new Error(`usage: synth-one.ts ours|peer N [ecs|ecs+api|ecs+envoy|ecs+events], got ${impl} ${countArg} ${variant}`);
}
const withApi = variant === 'ecs+api';
// ecs+envoy: ours on ServiceMesh.envoy(), every service calling service 0 (retry policy, outlier
// detection), so every service but the first runs the Envoy sidecar and its metrics collector; the peer is the
// plain ECS peer (Service Connect, no calls), so the ratio is the price of the whole data plane.
const withEnvoy = variant === 'ecs+envoy';
// ecs+events: ours with service 0 publishing a topic and every other service subscribing to it (a
// queue, its dead-letter queue, the subscription, alarms); the peer is the plain ECS peer again.
const withEvents = variant === 'ecs+events';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${impl}-${count}-`));
const t0 = performance.now();
const app = new App({ outdir, context: CDK_CONTEXT_FOR_BENCH });
const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');
const platformStack = new Stack(app, 'Platform');
const serviceStacks = Array.from({ length: count }, (_, i) => new Stack(app, `Service${i}`));
if (impl === 'ours') {
  const platform = new MicroservicePlatform(platformStack, 'Platform', withEnvoy ? { mesh: ServiceMesh.envoy() } : {});
  const services = serviceStacks.map((s, i) => new Microservice(s, `Svc${i}`, {
    platform,
    image,
    retryPolicy: withEnvoy ? RetryPolicy.http({ maxRetries: 2, perRetryTimeout: Duration.seconds(1) }) : undefined,
    outlierDetection: withEnvoy ? { maxServerErrors: 5, interval: Duration.seconds(10), baseEjectionDuration: Duration.seconds(30), maxEjectionPercent: 50 } : undefined,
    // The peer writes no alarms: compare like with like.
    alarms: { enabled: false },
    api: withApi ? {
      routes: [{ path: '/{proxy+}', methods: [apigwv2.HttpMethod.ANY], scopes: [`svc${i}/read`] }],
      consumers: [{ name: 'client', scopes: [`svc${i}/read`] }],
    } : undefined,
  }));
  if (withEnvoy) services.slice(1).forEach((svc) => svc.connectTo(services[0]));
  if (withEvents) {
    const topic = services[0].addTopic('Happened');
    services.slice(1).forEach((svc) => svc.subscribe(topic));
  }
} else if (withApi) {
  peerStacksWithApi(platformStack, serviceStacks, image);
} else {
  peerStacks(platformStack, serviceStacks, image);
}
const assembly = app.synth();
const wallMs = performance.now() - t0;

let maxResources = 0;
let serviceBytes = 0;
let serviceResources = 0;
for (const stack of assembly.stacks) {
  const text = fs.readFileSync(path.join(assembly.directory, stack.templateFile), 'utf8');
  const resources = Object.keys(JSON.parse(text).Resources ?? {}).length;
  maxResources = Math.max(maxResources, resources);
  if (stack.stackName !== 'Platform') {
    serviceBytes += Buffer.byteLength(text);
    serviceResources += resources;
  }
}
fs.rmSync(outdir, { recursive: true, force: true });

console.log(JSON.stringify({
  impl,
  variant,
  count,
  wallMs,
  maxResources,
  templateBytesPerService: serviceBytes / count,
  resourcesPerService: serviceResources / count,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
}));
