import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';

/** The feature flags of cdk.json: a test app sees what a user's `cdk synth` sees. */
export const CDK_CONTEXT: { [key: string]: unknown } = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'),
).context;

export function testApp(): App {
  return new App({ context: CDK_CONTEXT });
}

export function testStack(id = 'Test', app: App = testApp()): Stack {
  return new Stack(app, id);
}

export const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');

/** The logical id of a construct's CloudFormation resource (or of the resource itself). */
export function logicalId(c: any): string {
  return Stack.of(c).getLogicalId(c.node?.defaultChild ?? c);
}
