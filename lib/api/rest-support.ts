import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';

/** Names of a path's parameters, greedy ones without their '+'. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z0-9_]+)\+?\}/g)].map((m) => m[1]);
}

/** An HTTP API CORS configuration, as a REST API's. */
export function restCors(cors: apigwv2.CorsPreflightOptions): apigateway.CorsOptions {
  return {
    allowOrigins: cors.allowOrigins!, // required by the API's validation
    allowMethods: cors.allowMethods?.map((m) => (m === apigwv2.CorsHttpMethod.ANY ? 'ANY' : m)),
    allowHeaders: cors.allowHeaders,
    exposeHeaders: cors.exposeHeaders,
    allowCredentials: cors.allowCredentials,
    maxAge: cors.maxAge,
  };
}
