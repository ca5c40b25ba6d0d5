// Many repositories, one platform: the orders team's app. It joins the platform by name, calls
// payments (an app of its own) by its name, and subscribes to its PaymentTaken topic. The rule that
// admits orders to payments, the queue and the subscription all live in this stack: neither the
// platform's stack nor payments' changes.
import { App, Stack, Validations } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Microservice, MicroservicePlatform } from 'cdk-microservice';

const ENV = { account: '123456789012', region: 'eu-west-1' };

export function build(app: App): App {
  const stack = new Stack(app, 'Orders', { env: ENV });
  const platform = MicroservicePlatform.fromPlatformName(stack, 'Platform', 'shop');
  const orders = new Microservice(stack, 'Orders', {
    platform,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable'),
    containerPort: 8080,
    user: '101',
    api: {
      routes: [{ path: '/orders', methods: [HttpMethod.GET], scopes: ['orders/read'] }],
      consumers: [{ name: 'web', scopes: ['orders/read'] }],
    },
  });
  const payments = Microservice.fromServiceName(stack, 'Payments', { platform, serviceName: 'payments' });
  orders.connectTo(payments); // PAYMENTS_URL, with payments' retry policy and timeouts
  orders.subscribe(payments.topic('PaymentTaken')); // PAYMENT_TAKEN_QUEUE_URL
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) build(new App()).synth();
