import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
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

/** `Fn::GetAtt` of a resource's attribute. */
export const getAtt = (id: string, attr: string) => ({ 'Fn::GetAtt': [id, attr] });

/** A template value that may be one item or a list, as a list. */
export const asList = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** One resource of the template, by logical id; fails when there is none. */
export function resource(t: Template, id: string): any {
  const r = t.toJSON().Resources[id];
  if (!r) throw new Error(`no resource ${id} in the template`);
  return r;
}

/** Every resource of a type, as [logical id, resource]. */
export const resourcesOf = (t: Template, type: string): Array<[string, any]> => Object.entries(t.findResources(type));
