import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { ApiIntegration, Microservice, MicroservicePlatform, MicroserviceProps } from '../../lib';
import { annotationsOf, IMAGE, testApp } from '../util';

const SHIFTING = [ecs.DeploymentStrategy.BLUE_GREEN, ecs.DeploymentStrategy.CANARY, ecs.DeploymentStrategy.LINEAR];
const ROUTES = [{ path: '/orders', public: true }];

// Services that synthesize share one app, built up front and synthesized once; services that are
// refused are built in an app that is never synthesized (a refused constructor leaves a partial tree).
function platformApp() {
  const app = testApp();
  return { app, platform: new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform') };
}
const built = platformApp();
const refused = platformApp();
let n = 0;
function service(props: Omit<MicroserviceProps, 'platform' | 'image'>, into = built): { stack: Stack; svc: Microservice } {
  const stack = new Stack(into.app, `Service${++n}`);
  return { stack, svc: new Microservice(stack, 'Orders', { platform: into.platform, image: IMAGE, discoveryName: `orders-${n}`, ...props }) };
}
const refuse = (props: Omit<MicroserviceProps, 'platform' | 'image'>) => () => service(props, refused);

const cloudMap = new Map(SHIFTING.map((strategy) => [strategy, service({ deployment: { strategy }, api: { routes: ROUTES } }).stack]));
const rollingHttp = service({ deployment: { strategy: ecs.DeploymentStrategy.ROLLING }, api: { integration: ApiIntegration.loadBalancer(), routes: ROUTES } }).stack;
const rollingRest = service({ deployment: { strategy: ecs.DeploymentStrategy.ROLLING }, restApi: { routes: ROUTES } }).stack;

/** The error of a traffic-shifting strategy in front of a load balancer: names the prop, asks for ROLLING, says what it got. */
function refusal(strategy: string): RegExp {
  return new RegExp(`deployment\\.strategy must be ROLLING[\\s\\S]*got ${strategy}\\b`);
}

describe.each(SHIFTING)('deployment strategy %s', (strategy) => {
  test('is refused behind ApiIntegration.loadBalancer(), naming deployment.strategy, ROLLING and the strategy received', () => {
    expect(refuse({ deployment: { strategy }, api: { integration: ApiIntegration.loadBalancer(), routes: ROUTES } })).toThrow(refusal(strategy));
  });

  test('is refused with a REST API (which always reaches the tasks through a load balancer), the same way', () => {
    expect(refuse({ deployment: { strategy }, restApi: { routes: ROUTES } })).toThrow(refusal(strategy));
  });

  test('synthesizes through the default Cloud Map integration, with a warning that the API\'s requests are not shifted', () => {
    const stack = cloudMap.get(strategy)!;
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ECS::Service', 1);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    annotationsOf(stack).hasWarning('*', Match.stringLikeRegexp(`deployment\\.strategy ${strategy} `));
  });
});

test('ROLLING behind a load balancer synthesizes without a warning, where BLUE_GREEN on the same props is refused', () => {
  for (const stack of [rollingHttp, rollingRest]) {
    Template.fromStack(stack).resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    annotationsOf(stack).hasNoWarning('*', Match.stringLikeRegexp('deployment.strategy'));
  }
  expect(refuse({ deployment: { strategy: ecs.DeploymentStrategy.BLUE_GREEN }, api: { integration: ApiIntegration.loadBalancer(), routes: ROUTES } }))
    .toThrow(refusal('BLUE_GREEN'));
});
