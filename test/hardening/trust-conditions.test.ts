// The confused-deputy conditions AWS documents for the service roles the library creates: only the
// service, for this account (aws:SourceAccount) and resources of this account and region
// (aws:SourceArn), may assume them.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Microservice, MicroservicePlatform } from '../../lib';
import { IMAGE, logicalId, testApp } from '../util';

const app = testApp();
const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
const stack = new Stack(app, 'Orders');
const orders = new Microservice(stack, 'Orders', { platform, image: IMAGE });
const service = Template.fromStack(stack).toJSON();
const platformTemplate = Template.fromStack(Stack.of(platform)).toJSON();
const arn = (service_: string, resource: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service_}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${resource}`]] });

test('the task role: ECS tasks of this account and region only (ECS guide, "Amazon ECS task IAM role")', () => {
  const trust = service.Resources[logicalId(orders.taskDefinition.taskRole)].Properties.AssumeRolePolicyDocument.Statement;
  expect(trust).toEqual([{
    Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' },
    // "Using the aws:SourceArn condition key to specify a specific cluster is not currently supported."
    Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': arn('ecs', '*') } },
  }]);
});

test('the flow log role: VPC Flow Logs for this account\'s flow logs only (VPC guide, "Publish flow logs to CloudWatch Logs")', () => {
  const roles = Object.values<any>(platformTemplate.Resources).filter((r) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r).includes('vpc-flow-logs'));
  expect(roles).toHaveLength(1);
  expect(roles[0].Properties.AssumeRolePolicyDocument.Statement).toEqual([{
    Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
    Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': arn('ec2', 'vpc-flow-log/*') } },
  }]);
});
