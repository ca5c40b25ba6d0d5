// Shared helpers of the fault-injection tests (FaultInjection.enabled(), its FIS experiment templates,
// the experiment role and the task's prerequisites). Expected values come from the inputs and from
// the FIS actions reference: action ids, their parameters and the target resource types.
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import type { Microservice } from '../../lib';
import { asList, CDK_CONTEXT, logicalId, resource, resourcesOf } from '../util';

/** One account and region, so that the platform VPC's Availability Zones are literal names. */
export const ENV = { account: '123456789012', region: 'eu-west-1' };
/** The Availability Zones the app's context gives the region (what `cdk synth` would look up). */
export const AZS = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

/** An app with the project's feature flags and the region's Availability Zones in its context. */
export function fisApp(): App {
  return new App({ context: { ...CDK_CONTEXT, [`availability-zones:account=${ENV.account}:region=${ENV.region}`]: AZS } });
}

/** A stack of `app` in {@link ENV}. */
export const envStack = (app: App, id: string): Stack => new Stack(app, id, { env: ENV });

/** The message of the error `f` throws; fails the test when it throws none. */
export function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, got none');
}

export { asList, getAtt, resource, resourcesOf } from '../util';

/** The names of a service's experiment templates, sorted (`[]` without fault injection). */
export const templateNames = (svc: Microservice): string[] => Object.keys(svc.faultInjection?.templates ?? {}).sort();

/** The properties of one of a service's experiment templates, by name; fails when it has none. */
export function templateOf(t: Template, svc: Microservice, name: string): any {
  const template = svc.faultInjection?.templates[name];
  if (!template) throw new Error(`${svc.node.path} has no experiment template ${name}, only ${templateNames(svc).join(', ')}`);
  const r = resource(t, logicalId(template));
  expect(r.Type).toBe('AWS::FIS::ExperimentTemplate');
  return r.Properties;
}

/** The one action of a template with a single action. */
export function onlyAction(template: any): any {
  const actions = Object.values(template.Actions);
  expect(actions).toHaveLength(1);
  return actions[0];
}

/** The container definitions of a service's task definition, by name. */
export function containersOf(t: Template, svc: Microservice): { [name: string]: any } {
  const def = resource(t, logicalId(svc.taskDefinition));
  return Object.fromEntries(def.Properties.ContainerDefinitions.map((c: any) => [c.Name, c]));
}

/** The task definition's properties. */
export const taskDefinitionOf = (t: Template, svc: Microservice): any => resource(t, logicalId(svc.taskDefinition)).Properties;

/** The statements of every AWS::IAM::ManagedPolicy the role lists in its ManagedPolicyArns. */
export function managedPolicyStatements(t: Template, roleId: string): any[] {
  const arns = asList<any>(resource(t, roleId).Properties.ManagedPolicyArns);
  const refs = new Set(arns.map((a) => a.Ref).filter((r) => r !== undefined));
  return resourcesOf(t, 'AWS::IAM::ManagedPolicy')
    .filter(([id]) => refs.has(id))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

/** The actions the statements allow, each once (an action may be allowed on several resources by statements of their own). */
export const allowedActions = (statements: any[]): string[] =>
  [...new Set(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asList<string>(s.Action)))].sort();

/** The statements that allow `action`. */
export const statementsAllowing = (statements: any[], action: string): any[] =>
  statements.filter((s) => s.Effect === 'Allow' && asList<string>(s.Action).includes(action));

/**
 * The warnings of a stack, as `[construct path, message]`, from the cloud assembly (`app.synth()`
 * is cached: a Template of the app already synthesized it).
 */
export function warningsOf(app: App, stack: Stack): Array<[string, string]> {
  return app.synth().getStackArtifact(stack.artifactId).messages
    .filter((m) => m.level === 'warning')
    .map((m) => [m.id, String(m.entry.data)]);
}

/** The warnings of one id (`cdk-microservice:...`) on a construct path prefix. */
export const warningsWithId = (app: App, stack: Stack, id: string, pathPrefix = '/'): string[] =>
  warningsOf(app, stack).filter(([path, message]) => path.startsWith(pathPrefix) && message.endsWith(`[ack: ${id}]`)).map(([, m]) => m);

/** The rule ids acknowledged on a construct (`Validations.of(c).acknowledge()`). */
export function acknowledgedRules(c: IConstruct): string[] {
  return c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.keys(m.data as object));
}

/**
 * A template string value as text: a literal as is, an `Fn::Join` joined, each `Fn::GetAtt` as
 * `${Id.Attribute}` and each `Ref` as `${Id}` (what CloudFormation resolves them to).
 */
export function cfnText(v: any): string {
  if (typeof v === 'string') return v;
  if (v?.['Fn::Join']) return v['Fn::Join'][1].map(cfnText).join(v['Fn::Join'][0]);
  if (v?.['Fn::GetAtt']) return `\${${v['Fn::GetAtt'].join('.')}}`;
  if (v?.Ref) return `\${${v.Ref}}`;
  throw new Error(`not a string value: ${JSON.stringify(v)}`);
}
