// The platform does not know its services: adding, renaming or removing a service never changes the
// platform's stack, whatever the service brings (an API with authorized routes and consumers, a
// cache, topics and subscriptions, calls to other services). The documented exceptions
// (docs/scale.md) come with the first service that needs them: the outputs of the weak references
// services in the same app make to the platform (aws-cdk-lib adds one per attribute referenced),
// API Gateway's logging role with the first REST API, and the X-Ray policy with the first actively
// traced topic.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Microservice, MicroservicePlatform, ServiceCache, ServiceMesh } from '../../lib';
import { IMAGE, testApp } from '../util';

function platformTemplate(mesh: () => ServiceMesh, services: string[]): unknown {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { mesh: mesh() });
  const built: Microservice[] = [];
  const topics: ReturnType<Microservice['addTopic']>[] = [];
  for (const [i, name] of services.entries()) {
    const svc = new Microservice(new Stack(app, name), name, {
      platform, image: IMAGE,
      api: { routes: [{ path: `/${name.toLowerCase()}`, scopes: [`${name.toLowerCase()}/read`] }], consumers: [{ name: 'web', scopes: [`${name.toLowerCase()}/read`] }] },
      cache: i % 2 === 0 ? ServiceCache.valkey() : undefined,
    });
    topics.push(svc.addTopic(`${name}Happened`));
    // Each calls the ones before it and subscribes to the first one's topic: no cycle.
    for (const callee of built) svc.connectTo(callee);
    if (built.length > 0) svc.subscribe(topics[0]);
    built.push(svc);
  }
  return Template.fromStack(Stack.of(platform)).toJSON();
}

describe.each<[string, () => ServiceMesh]>([
  ['ServiceMesh.serviceConnect()', () => ServiceMesh.serviceConnect()],
  ['ServiceMesh.envoy()', () => ServiceMesh.envoy()],
])('a platform on %s', (_name, mesh) => {
  const alone = platformTemplate(mesh, []);

  const three = platformTemplate(mesh, ['Orders', 'Payments', 'Ledger']);

  test('has the same template with three services as with four others', () => {
    expect(platformTemplate(mesh, ['Billing', 'Mailer', 'Audit', 'Search'])).toEqual(three);
  });

  test('differs from the platform alone only by the outputs of the weak references its services made (Fn::GetStackOutput)', () => {
    const { Outputs: outputs, ...rest } = three as { Outputs: { [id: string]: unknown } };
    const { Outputs: aloneOutputs, ...aloneRest } = alone as { Outputs?: { [id: string]: unknown } };
    expect(rest).toEqual(aloneRest);
    const added = Object.keys(outputs).filter((id) => !(id in (aloneOutputs ?? {})));
    expect(added.length).toBeGreaterThan(0);
    for (const id of added) expect(id).toMatch(/^PublishOutput/);
  });
});
