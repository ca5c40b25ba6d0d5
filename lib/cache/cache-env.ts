/** Environment variables the service's container receives (docs/cache.md lists them). */
export const CACHE_ENV = {
  HOST: 'CACHE_HOST',
  PORT: 'CACHE_PORT',
  TLS: 'CACHE_TLS',
  READER_HOST: 'CACHE_READER_HOST',
  READER_PORT: 'CACHE_READER_PORT',
  AUTH_MODE: 'CACHE_AUTH_MODE',
  USERNAME: 'CACHE_USERNAME',
  IAM_CACHE_NAME: 'CACHE_IAM_CACHE_NAME',
  AUTH_TOKEN: 'CACHE_AUTH_TOKEN',
  PASSWORD: 'CACHE_PASSWORD',
} as const;
