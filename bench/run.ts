// `npm run bench`: synthesis speed, template size and memory of this library against a
// hand-written peer (bench/peer/), in the same run, so every figure reads as a ratio. Four
// variants: the ECS service alone ("ecs"), with its API front door ("ecs+api": HTTP API,
// Cognito authorizer with a resource server and a client, access logs, Cloud Map integration),
// on the Envoy data plane ("ecs+envoy": every service calls the first, so all but one run the
// Envoy sidecar and its metrics collector; the peer is the plain ECS one), and with messaging
// ("ecs+events": the first publishes a topic, every other subscribes with a queue and its
// dead-letter queue; the peer is the plain ECS one).
// Both sides run Service Connect; this library's alarms are turned off (the peer writes none), so
// the remaining difference is its dashboard per service and the platform's topics and overview.
//
// Each measurement runs in a fresh Node process (so peak RSS is that app's own), with
// CloudFormation's template validator off (CDK_VALIDATION=false) for both sides: it costs the
// same fixed ~3 s for both and would hide the constructs' own cost. Runs alternate between
// the two sides; the median of RUNS is reported.
import { execFileSync } from 'child_process';
import * as path from 'path';

const SIZES = (process.env.BENCH_SIZES ?? '1,10,50').split(',').map(Number);
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'ecs,ecs+api,ecs+envoy,ecs+events').split(',');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const root = path.join(__dirname, '..');

interface Sample {
  impl: string; count: number; wallMs: number; maxResources: number;
  templateBytesPerService: number; resourcesPerService: number; peakRssMiB: number;
}

function measure(impl: string, count: number, variant: string): Sample {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join('bench', 'synth-one.ts'), impl, String(count), variant], {
    cwd: root,
    env: { ...process.env, CDK_VALIDATION: 'false' },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const rows: string[] = [];
const pad = (s: string, n: number) => s.padStart(n);
const header = ['variant', 'services', 'side', 'wall ms', 'ms/service', 'max res/stack', 'res/service', 'tmpl bytes/service', 'peak RSS MiB'];
rows.push(header.map((h) => pad(h, 20)).join(''));

for (const variant of VARIANTS) for (const count of SIZES) {
  const samples: { [impl: string]: Sample[] } = { ours: [], peer: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const impl of i % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours']) samples[impl].push(measure(impl, count, variant));
  }
  const summary = (impl: string) => {
    const s = samples[impl];
    const wall = median(s.map((x) => x.wallMs));
    return {
      wall,
      perService: wall / count,
      maxResources: s[0].maxResources,
      resourcesPerService: s[0].resourcesPerService,
      bytes: s[0].templateBytesPerService,
      rss: median(s.map((x) => x.peakRssMiB)),
    };
  };
  const ours = summary('ours');
  const peer = summary('peer');
  const fmt = (v: number, d = 0) => v.toFixed(d);
  const line = (side: string, v: ReturnType<typeof summary>) => [variant, String(count), side, fmt(v.wall), fmt(v.perService, 1),
    fmt(v.maxResources), fmt(v.resourcesPerService, 1), fmt(v.bytes), fmt(v.rss)].map((c) => pad(c, 20)).join('');
  rows.push(line('ours', ours));
  rows.push(line('peer', peer));
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  rows.push([variant, String(count), 'ratio ours/peer', ratio(ours.wall, peer.wall), ratio(ours.perService, peer.perService),
    ratio(ours.maxResources, peer.maxResources), ratio(ours.resourcesPerService, peer.resourcesPerService),
    ratio(ours.bytes, peer.bytes), ratio(ours.rss, peer.rss)].map((c) => pad(c, 20)).join(''));
  console.log(rows.slice(-3).join('\n'));
}

console.log(`\nmedian of ${RUNS} runs per cell; each cell a fresh process; CDK_VALIDATION=false on both sides\n`);
console.log(rows.join('\n'));
