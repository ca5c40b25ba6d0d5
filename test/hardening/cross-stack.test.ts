import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Microservice, MicroservicePlatform, MicroservicePlatformProps } from '../../lib';
import { build as buildRestApi } from '../../examples/rest-api/app';
import { IMAGE, testApp } from '../util';

/** An HTTP API whose routes need scopes: the service reads the platform's VPC link, cluster, namespace, user pool and topics. */
const API = { routes: [{ path: '/orders', scopes: ['orders/read'] }], consumers: [{ name: 'checkout', scopes: ['orders/read'] }] };

const MARKER_TYPE = 'AWS::CloudFormation::WaitConditionHandle';
/** Every value of `key` in a template (the argument of each intrinsic of that name). */
function valuesOf(template: unknown, key: string): unknown[] {
  const found: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === key) found.push(x);
        walk(x);
      }
    }
  };
  walk(template);
  return found;
}

const markers = (stack: Stack) => Object.keys(Template.fromStack(stack).findResources(MARKER_TYPE)).filter((id) => id.startsWith('PlatformRevision'));

describe.each<[string, { [key: string]: unknown } | undefined]>([
  ['no context at all', undefined],
  ['@aws-cdk/core:defaultCrossStackReferences "strong"', { '@aws-cdk/core:defaultCrossStackReferences': 'strong' }],
])('a service on a platform in another stack, in an app with %s', (_name, context) => {
  const app = new App(context ? { context } : undefined);
  const platformStack = new Stack(app, 'Platform');
  const platform = new MicroservicePlatform(platformStack, 'Platform');
  const stack = new Stack(app, 'Orders');
  new Microservice(stack, 'Orders', { platform, image: IMAGE, api: API });
  const service = Template.fromStack(stack).toJSON();
  const producer = Template.fromStack(platformStack).toJSON();

  test('reads the platform through weak references only: Fn::GetStackOutput, no Fn::ImportValue in the service, no Export in the platform', () => {
    expect(valuesOf(service, 'Fn::GetStackOutput').length).toBeGreaterThan(0);
    expect(valuesOf(service, 'Fn::ImportValue')).toEqual([]);
    const exported = Object.entries<any>(producer.Outputs ?? {}).filter(([, o]) => o.Export !== undefined).map(([id]) => id);
    expect(exported).toEqual([]);
  });
});

describe('the platform revision marker', () => {
  function build(platformProps: MicroservicePlatformProps = {}) {
    const app = testApp();
    const platformStack = new Stack(app, 'Platform');
    const platform = new MicroservicePlatform(platformStack, 'Platform', platformProps);
    new Microservice(platformStack, 'Local', { platform, image: IMAGE });
    const orders = new Stack(app, 'Orders');
    new Microservice(orders, 'Orders', { platform, image: IMAGE, api: API });
    new Microservice(orders, 'History', { platform, image: IMAGE });
    const payments = new Stack(app, 'Payments');
    new Microservice(payments, 'Payments', { platform, image: IMAGE });
    return { platformStack, orders, payments };
  }
  const base = build();
  const markerOf = (b: ReturnType<typeof build>) => {
    const ids = markers(b.orders);
    expect(ids).toHaveLength(1);
    return ids[0];
  };
  const baseMarkers = markers(base.orders);
  const id = baseMarkers[0];

  test('is exactly one empty WaitConditionHandle in a service stack, even with two services in it; none in the platform\'s own stack', () => {
    const t = Template.fromStack(base.orders);
    expect(baseMarkers).toHaveLength(1);
    t.resourceCountIs(MARKER_TYPE, 1);
    expect(id).toMatch(/^PlatformRevision[0-9a-f]{16}$/);
    expect(t.toJSON().Resources[id].Properties).toBeUndefined();
    expect(Object.keys(Template.fromStack(base.platformStack).findResources(MARKER_TYPE))).toEqual([]);
  });

  test('is in each service stack of the platform, the same in each', () => {
    expect(markers(base.payments)).toHaveLength(1);
    expect(markers(base.payments)).toStrictEqual(baseMarkers);
  });

  test('is deterministic: the same app built twice has the same marker', () => {
    expect(id).toBeDefined();
    expect(markerOf(build())).toBe(id);
  });

  test('changes with a platform resource the services reference (the namespace, through namespaceName)', () => {
    // The service stack does read the namespace (its Cloud Map service is registered in it).
    const read = valuesOf(Template.fromStack(base.orders).toJSON(), 'Fn::GetStackOutput').map((o: any) => o.OutputName);
    expect(read).toContainEqual(expect.stringMatching(/Namespace/));
    expect(markerOf(build({ namespaceName: 'other.internal' }))).not.toBe(id);
  });

  test('stays when a platform prop that no service reads changes (alarmEmails)', () => {
    // alarmEmails adds AWS::SNS::Subscription resources that name the alarm topic; the topic
    // itself, which the services' alarms name, is unchanged, so the services have nothing new to read.
    expect(markerOf(build({ alarmEmails: ['oncall@example.com'] }))).toBe(id);
  });
});

describe('examples/rest-api', () => {
  test('RestPartners depends on RestPlatform, which sets the API Gateway account logging role its REST stage logs through', () => {
    const app = buildRestApi(testApp());
    const stack = (name: string) => app.node.findChild(name) as Stack;
    expect(stack('RestPartners').dependencies).toContain(stack('RestPlatform'));
  });
});
