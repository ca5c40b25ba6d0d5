// The quotas the services of a platform land on together: counted as services are built, checked
// at synthesis (docs/scale.md has the table and the sources).
import { App, Stack } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { Match } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { AlarmActions, Microservice, MicroservicePlatform, ServiceMesh } from '../../lib';
import { platformServicesOf } from '../../lib/private/platform-services';
import { QuotaCounter } from '../../lib/private/quotas';
import { annotationsOf, IMAGE, testApp } from '../util';
import * as sns from 'aws-cdk-lib/aws-sns';

function counter(): { app: App; stack: Stack; quotas: QuotaCounter } {
  const app = testApp();
  const stack = new Stack(app, 'P');
  return { app, stack, quotas: new QuotaCounter(new Construct(stack, 'Platform'), 'shop') };
}

describe('the checks, on counts', () => {
  test('at the default, nothing; one past it, a warning naming the quota, its code, the count and what to request', () => {
    const at = counter();
    at.quotas.count('cognitoResourceServers', 'the platform\'s user pool', 25);
    expect(annotationsOf(at.stack).findWarning('*', Match.anyValue())).toEqual([]);
    const past = counter();
    past.quotas.count('cognitoResourceServers', 'the platform\'s user pool', 26);
    const [w] = annotationsOf(past.stack).findWarning('/P/Platform', Match.anyValue());
    expect(String(w.entry.data)).toMatch(/^The services of platform 'shop' in this app use 26 resource servers .* of the platform's user pool, past the default of Amazon Cognito "Resource servers per user pool" \(L-7CDAF993\), 25: request at least 26 in Service Quotas before deploying \(AWS raises it to 300 at most\)/);
    expect(String(w.entry.data)).toMatch(/\[ack: cdk-microservice:quota:cognitoResourceServers\]/);
  });

  test('past the most AWS raises it to, an error: 301 resource servers in one user pool', () => {
    const { app, quotas } = counter();
    quotas.count('cognitoResourceServers', 'the platform\'s user pool', 301);
    expect(() => app.synth()).toThrow(/use 301 resource servers .* AWS raises it to 300 at most; past 300, split the services over platforms/);
  });

  test('each subject on its own: 60 rules on each of two security groups is within the quota, 61 on one is not', () => {
    const { stack, quotas } = counter();
    quotas.count('securityGroupRules', 'the security group of A', 60);
    quotas.count('securityGroupRules', 'the security group of B', 60);
    expect(annotationsOf(stack).findWarning('*', Match.anyValue())).toEqual([]);
    const other = counter();
    other.quotas.count('securityGroupRules', 'the security group of Hub', 61);
    const [w] = annotationsOf(other.stack).findWarning('*', Match.anyValue());
    expect(String(w.entry.data)).toMatch(/61 inbound rules .* of the security group of Hub, past the default of Amazon VPC "Inbound or outbound rules per security group" \(L-0EA8095F\), 60: .*L-2AFB9258/);
  });
});

describe('what services count', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform');
  const quotas = platformServicesOf(platform, 'test').quotas;
  const api = (name: string) => ({ routes: [{ path: `/${name}`, methods: [HttpMethod.GET], scopes: [`${name}/read`] }], consumers: [{ name: 'web', scopes: [`${name}/read`] }] });
  const hub = new Microservice(new Stack(app, 'Hub'), 'Hub', { platform, image: IMAGE, autoScaling: { maxCapacity: 4 } });
  const callers = ['a', 'b', 'c'].map((n) => new Microservice(new Stack(app, n.toUpperCase()), n, { platform, image: IMAGE, api: api(n) }));
  for (const c of callers) c.connectTo(hub);
  const critical = new sns.Topic(callers[0].node.scope as Stack, 'Critical');
  new Microservice(new Stack(app, 'Own'), 'Own', {
    platform, image: IMAGE, alarms: { actions: AlarmActions.snsTopics({ critical, warning: critical }) },
  });

  test('a resource server per service with scopes, a rule per caller (and the API\'s) on a service\'s group, two Cloud Map instances per task on Service Connect', () => {
    expect(quotas.countOf('cognitoResourceServers', 'the platform\'s user pool')).toBe(3);
    expect(quotas.countOf('securityGroupRules', `the security group of ${hub.node.path}`)).toBe(3);
    expect(quotas.countOf('securityGroupRules', `the security group of ${callers[0].node.path}`)).toBe(1); // its API's path
    // hub 4 tasks, three callers 10 each (the default), Own 10: 44 tasks, 2 registrations each.
    expect(quotas.countOf('cloudMapInstances', 'the namespace services.internal')).toBe(2 * (4 + 3 * 10 + 10));
  });

  test('the platform\'s one failed-deployment rule, and one of a service that sends them to a topic of its own', () => {
    expect(quotas.countOf('eventBridgeRules', 'the account\'s default event bus')).toBe(2);
  });

  test('one Cloud Map instance per task on Envoy (the library\'s A and SRV records only)', () => {
    const envoyApp = testApp();
    const envoy = new MicroservicePlatform(new Stack(envoyApp, 'Platform'), 'Platform', { mesh: ServiceMesh.envoy() });
    new Microservice(new Stack(envoyApp, 'S'), 'S', { platform: envoy, image: IMAGE, autoScaling: { maxCapacity: 6 } });
    expect(platformServicesOf(envoy, 'test').quotas.countOf('cloudMapInstances', 'the namespace services.internal')).toBe(6);
  });
});
