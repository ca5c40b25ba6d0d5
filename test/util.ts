import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';

/** The feature flags of cdk.json: a test app sees what a user's `cdk synth` sees. */
export const CDK_CONTEXT: { [key: string]: unknown } = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'),
).context;

/**
 * An app with the feature flags of cdk.json. It writes no `tree.json` (the construct tree the CDK CLI
 * and the console read, never a template): no test reads it, and writing it resolves every
 * resource's properties once more at each synthesis.
 */
export function testApp(): App {
  return new App({ context: CDK_CONTEXT, treeMetadata: false });
}

/**
 * `Annotations.fromStack(stack)` without its forced synthesis: aws-cdk-lib's `fromStack` synthesizes
 * the whole app again at every call, so that a test may add constructs between two assertions. This
 * reads the messages of the app's synthesis (synthesizing it if it has not been yet), for an app that
 * nothing is added to after it is first synthesized: a shared app, or one read with
 * `Template.fromStack` before.
 */
export function annotationsOf(stack: Stack): Annotations {
  const root = stack.node.root;
  if (!Stage.isStage(root)) throw new Error('unexpected: all stacks must be part of a Stage or an App');
  const messages = root.synth().getStackArtifact(stack.artifactId).messages;
  // The constructor `fromStack` calls with the messages of its own (forced) synthesis.
  return new (Annotations as unknown as new (m: typeof messages) => Annotations)(messages);
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

/**
 * Rebuilds a committed Lambda bundle (`assets/<name>/index.js`) with its script into a scratch
 * file and fails unless the two are byte-identical: the committed bundle is current and the build
 * reproducible.
 */
export async function expectBundleCurrent(name: string, script: string): Promise<void> {
  const root = path.join(__dirname, '..');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-bundle-`));
  try {
    const outfile = path.join(dir, 'index.js');
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'scripts', script), '--outfile', outfile], { cwd: root });
    expect(stdout).toMatch(/\d+ bytes/);
    if (!fs.readFileSync(outfile).equals(fs.readFileSync(path.join(root, 'assets', name, 'index.js')))) {
      throw new Error(`assets/${name}/index.js is not the bundle of the current sources: run \`npm run bundle\` and commit it`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
