// Counts the unacknowledged findings of cdk-nag's NIST 800-53 rev 5, HIPAA Security, PCI DSS 3.2.1
// and Serverless packs on the README's quick start and on every example, each pack alone, as
// docs/security.md lists them: `npx tsx scripts/pack-findings.ts` prints the table's rows, and
// with `--rules` the rules that found something.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { buildMainApp } from '../bin/main';
import { build as buildEnvoy } from '../examples/envoy/app';
import { build as buildEvents } from '../examples/events/app';
import { build as buildGameDays } from '../examples/game-days/app';
import { build as buildMinimal } from '../examples/minimal/app';
import { build as buildMultiService } from '../examples/multi-service/app';
import { build as buildRestApi } from '../examples/rest-api/app';
import { ApiAuthorizer, Microservice, MicroservicePlatform } from '../lib';

process.env.CDK_VALIDATION = 'false';
const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;

/** The README's quick start, as written there. */
function quickStart(app: App): App {
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {
    auth: ApiAuthorizer.cognito(),
    logs: { retention: logs.RetentionDays.ONE_YEAR },
  });
  new Microservice(new Stack(app, 'Orders'), 'Orders', {
    platform,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable'),
    containerPort: 8080,
    user: '101',
    api: {
      throttle: { rateLimit: 100, burstLimit: 200 },
      routes: [{ path: '/orders', methods: [apigwv2.HttpMethod.GET], scopes: ['orders/read'] }],
      consumers: [{ name: 'checkout', scopes: ['orders/read'] }],
    },
  });
  return app;
}

const apps: Array<[string, (app: App) => App]> = [
  ['quick start', quickStart], ['minimal', buildMinimal], ['multi-service', buildMultiService], ['rest-api', buildRestApi],
  ['envoy', buildEnvoy], ['events', buildEvents], ['game-days', buildGameDays], ['bin', buildMainApp],
];
const packs: Array<[string, (app: App) => NagPack]> = [
  ['NIST 800-53 rev 5', (app) => new NIST80053R5Checks(app)],
  ['HIPAA Security', (app) => new HIPAASecurityChecks(app)],
  ['PCI DSS 3.2.1', (app) => new PCIDSS321Checks(app)],
  ['Serverless', (app) => new ServerlessChecks(app)],
];

/** Unacknowledged findings of `pack` alone on the app `build` makes: rule -> count. */
function findings(build: (app: App) => App, pack: (app: App) => NagPack, name: string): Map<string, number> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'packs-'));
  try {
    const app = build(new App({ context, outdir }));
    Validations.of(app).addPlugins(pack(app));
    try {
      app.synth();
    } catch {
      // Error findings fail synthesis; the report is written all the same.
    }
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const rules = new Map<string, number>();
    for (const plugin of report.pluginReports ?? []) {
      if (!String(plugin.pluginName).includes(name.split(' ')[0])) continue;
      for (const v of plugin.violations ?? []) rules.set(v.ruleName, (rules.get(v.ruleName) ?? 0) + (v.violatingConstructs ?? v.violatingResources ?? [1]).length);
    }
    return rules;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const showRules = process.argv.includes('--rules');
console.log(`| Pack | ${apps.map(([n]) => n).join(' | ')} |`);
console.log(`| --- |${apps.map(() => ' --- |').join('')}`);
for (const [packName, pack] of packs) {
  const cells: string[] = [];
  const seen = new Map<string, string[]>();
  for (const [appName, build] of apps) {
    const rules = findings(build, pack, packName);
    cells.push(String([...rules.values()].reduce((a, b) => a + b, 0)));
    for (const rule of rules.keys()) seen.set(rule, [...seen.get(rule) ?? [], appName]);
  }
  console.log(`| ${packName} | ${cells.join(' | ')} |`);
  if (showRules) for (const [rule, where] of seen) console.log(`    ${rule}: ${where.join(', ')}`);
}
