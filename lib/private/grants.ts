import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';

/**
 * A role that only the AWS service `service` (`ecs.amazonaws.com`) may assume, holding one AWS managed policy
 * (`service-role/...` included), with the AwsSolutions-IAM4 acknowledgement of that policy alone:
 * the finding id names the policy, so another managed policy added later is still reported.
 */
export function serviceRoleWithManagedPolicy(scope: Construct, id: string,
  o: { readonly service: string; readonly description: string; readonly managedPolicy: string; readonly reason: string }): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal(o.service),
    description: o.description,
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(o.managedPolicy)],
  });
  Validations.of(role).acknowledge({ id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${o.managedPolicy}]`, reason: o.reason });
  return role;
}

/**
 * Lets `role` send traces to AWS X-Ray (what the X-Ray daemon and the ADOT collector call), by a
 * policy of its own: the acknowledgement of its `*` resource covers these actions and nothing
 * else granted to the role.
 */
export function grantXRayWrite(scope: Construct, role: iam.IRole): void {
  const policy = new iam.Policy(scope, 'XRayWritePolicy', {
    statements: [new iam.PolicyStatement({
      actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries'],
      resources: ['*'],
    })],
  });
  policy.attachToRole(role);
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'X-Ray trace and sampling actions support no resource-level permissions (Service Authorization Reference, AWS X-Ray).',
  });
}

/**
 * Grants of a key only to AWS services (Control Tower CT.KMS.PR.3: the exact statement its rule
 * checks, a Deny of kms:CreateGrant unless the grant is for an AWS resource or an AWS service asks).
 */
export function denyGrantsToNonServices(key: kms.Key): void {
  key.addToResourcePolicy(new iam.PolicyStatement({
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
}

/**
 * A customer-managed key of the stack, created by the first caller under `id`: rotation on, grants
 * only for AWS services ({@link denyGrantsToNonServices}); `props` and `init` apply once.
 */
export function stackKeyOf(scope: IConstruct, id: string, props: kms.KeyProps, init?: (key: kms.Key) => void): kms.Key {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(id);
  if (existing instanceof kms.Key) return existing;
  const key = new kms.Key(stack, id, { ...props, enableKeyRotation: true });
  init?.(key);
  denyGrantsToNonServices(key);
  return key;
}

/**
 * Adds the confused-deputy conditions AWS documents for a service role's trust (`aws:SourceAccount`
 * and an `aws:SourceArn` pattern) to the one statement of the trust policy of a role aws-cdk-lib
 * creates (a task role, a flow log's role), in place: the role keeps its logical id. A role the
 * library creates itself takes `ServicePrincipal.withConditions()` instead.
 */
export function conditionTrust(role: iam.IRole, sourceArn: string): void {
  const statements = Stack.of(role).resolve((role as iam.Role).assumeRolePolicy?.toJSON())?.Statement ?? [];
  if (statements.length !== 1) throw new Error(`conditionTrust: ${role.node.path} must have one trust statement, got ${statements.length}`);
  (role.node.defaultChild as iam.CfnRole).addPropertyOverride('AssumeRolePolicyDocument.Statement.0.Condition', {
    StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
    ArnLike: { 'aws:SourceArn': sourceArn },
  });
}
