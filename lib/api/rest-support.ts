import { Validations } from 'aws-cdk-lib';
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

/**
 * The request validation of a REST API: what picks the validator of each method from its request
 * parameters (`method.request.*`, true when required).
 *
 * API Gateway checks "the required request parameters in the URI, query string, and headers ...
 * are included and not blank", and a body against "the configured JSON schema request of the
 * method for a given content type. If no matching content type is found, request validation is not
 * performed" (API Gateway guide, "Request validation for REST APIs"). The library knows no
 * service's bodies and declares no model, so body validation would check nothing: one validator,
 * `Validator`, checks parameters only, on the methods that require one (their path parameters);
 * the others have none. cdk-nag's AwsSolutions-APIG2 asks for a validator of both kinds, and is
 * acknowledged on the REST API with that reason.
 */
export function restRequestValidation(restApi: apigateway.RestApi): (requestParameters: { [param: string]: boolean }) => apigateway.IRequestValidator | undefined {
  Validations.of(restApi).acknowledge({
    id: 'AwsSolutions-APIG2',
    reason: 'API Gateway validates a body only against a model of its content type, and without one "request validation is not performed": '
      + 'the service, not the library, knows its bodies and validates them; the methods validate the path parameters they require.',
  });
  let validator: apigateway.RequestValidator | undefined;
  return (requestParameters) => {
    if (!Object.values(requestParameters).includes(true)) return undefined;
    validator ??= restApi.addRequestValidator('Validator', { validateRequestBody: false, validateRequestParameters: true });
    return validator;
  };
}
