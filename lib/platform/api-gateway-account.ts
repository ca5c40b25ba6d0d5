import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Construct, IConstruct } from 'constructs';
import { serviceRoleWithManagedPolicy } from '../private/grants';
import { PropErrors } from '../private/validation';

/** Platforms that set API Gateway's account setting, by app and `<account>/<region>`. */
const API_GATEWAY_ACCOUNT_OWNERS = new WeakMap<IConstruct, Map<string, string>>();

/**
 * API Gateway's account setting names a role for CloudWatch Logs, without which REST stages
 * cannot log. One setting per account and region: two platforms setting it would overwrite each
 * other, so a second platform of the app in the same account and region is refused.
 */
export function createApiGatewayAccount(platform: Construct): apigateway.CfnAccount {
  const stack = Stack.of(platform);
  const env = `${stack.account}/${stack.region}`;
  const owners = API_GATEWAY_ACCOUNT_OWNERS.get(platform.node.root) ?? new Map<string, string>();
  API_GATEWAY_ACCOUNT_OWNERS.set(platform.node.root, owners);
  const owner = owners.get(env);
  if (owner !== undefined) {
    const errors = new PropErrors(`MicroservicePlatform '${platform.node.path}'`);
    errors.add(`manageApiGatewayAccount must be false on all platforms of an account and region but one (API Gateway's logging role is one setting per account and region), got true here and on ${owner}`);
    errors.throwIfAny();
  }
  owners.set(env, platform.node.path);
  const role = serviceRoleWithManagedPolicy(platform, 'ApiGatewayLogsRole', {
    service: 'apigateway.amazonaws.com',
    description: 'API Gateway account setting: lets REST API stages write access and execution logs',
    managedPolicy: 'service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    reason: 'AmazonAPIGatewayPushToCloudWatchLogs is the policy API Gateway documents for its account-wide logging role; only apigateway.amazonaws.com can assume the role, and the log groups it writes are chosen per stage.',
  });
  const account = new apigateway.CfnAccount(platform, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
  account.node.addDependency(role);
  // Deleting the platform must not take logging away from every REST API of the account:
  // the setting and its role stay (as aws-cdk-lib's own RestApi keeps them).
  role.applyRemovalPolicy(RemovalPolicy.RETAIN);
  account.applyRemovalPolicy(RemovalPolicy.RETAIN);
  return account;
}
