// Normalized snapshots of every stack of every example (bin/ and examples/): a change to the
// library that changes what users deploy shows up here, resource by resource.
import { App, Stack } from 'aws-cdk-lib';
import { build as buildEnvoy } from '../examples/envoy/app';
import { build as buildEvents } from '../examples/events/app';
import { build as buildGameDays } from '../examples/game-days/app';
import { build as buildMinimal } from '../examples/minimal/app';
import { build as buildMultiService } from '../examples/multi-service/app';
import { build as buildRestApi } from '../examples/rest-api/app';
import { buildMainApp } from '../bin/main';
import { normalizeTemplate } from '../lib';
import { testApp } from './util';

const examples: Array<[string, (app: App) => App]> = [
  ['minimal', buildMinimal],
  ['multi-service', buildMultiService],
  ['rest-api', buildRestApi],
  ['envoy', buildEnvoy],
  ['events', buildEvents],
  ['game-days', buildGameDays],
  ['bin', buildMainApp],
];

describe.each(examples)('example %s', (_name, build) => {
  const app = build(testApp());
  const stacks = app.node.children.filter((c): c is Stack => c instanceof Stack);
  test.each(stacks.map((s) => [s.stackName, s] as const))('stack %s matches its snapshot', (_stackName, stack) => {
    expect(normalizeTemplate(stack)).toMatchSnapshot();
  });
});
