/**
 * Lambda entry point of the JWT REQUEST authorizer (configuration: JWT_ISSUER, JWT_AUDIENCE,
 * JWT_ROUTES, optional JWT_JWKS_URI, JWT_MAX_LIFETIME_SECONDS and JWT_JWKS_CACHE_TTL_SECONDS).
 * Built once per container; an invalid configuration is logged here once and then every request
 * is rejected with 401.
 */
import { authorizerFromEnv } from './authorizer';

export const handler = authorizerFromEnv(process.env);
