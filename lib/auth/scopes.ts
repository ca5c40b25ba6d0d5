import type { ApiAuthValidation } from '../private/binding';
import { fmt, PropErrors } from '../private/validation';

/** `<resource server>/<name>`: the scopes of a Cognito resource server. */
const RESOURCE_SERVER_SCOPE = /^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+\/[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+$/;
/** An OAuth scope token (RFC 6749 3.3) without quotes or backslashes. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Checks every route scope: either of the service's own resource server (`<service>/<name>`, on a
 * user pool the platform owns) or any OAuth scope token.
 */
export function checkScopes(errors: PropErrors, api: ApiAuthValidation, ownResourceServer: boolean): void {
  for (const route of api.routes) {
    route.scopes.forEach((s, j) => {
      const prop = `${route.prop}.scopes[${j}]`;
      if (!ownResourceServer) {
        errors.text(prop, s, SCOPE_TOKEN, 'an OAuth scope: printable ASCII without spaces, quotes or backslashes, such as "orders/read" or "orders:read"');
        return;
      }
      errors.text(prop, s, RESOURCE_SERVER_SCOPE, 'a scope such as "orders/read" (<resource server>/<name>)');
      if (RESOURCE_SERVER_SCOPE.test(s) && !s.startsWith(`${api.serviceName}/`)) {
        errors.add(`${prop} must start with "${api.serviceName}/" (the service's own resource server on the platform's user pool), got ${fmt(s)}`);
      }
    });
  }
}
