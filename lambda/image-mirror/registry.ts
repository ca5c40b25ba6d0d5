// The source side: a registry that speaks the OCI distribution API (Docker Hub, GHCR, Quay, ECR
// Public, a self-hosted distribution registry), read anonymously or with a user name and password.
//
// Protocol, from the documents that decide it:
// - OCI distribution spec (github.com/opencontainers/distribution-spec, spec.md, "Pulling
//   manifests" and "Pulling blobs"): `GET /v2/<name>/manifests/<reference>` with an Accept header
//   naming the manifest types the client takes, `GET /v2/<name>/blobs/<digest>`; "The client SHOULD
//   verify that the returned content's digest matches" and Docker-Content-Digest is OPTIONAL: "clients
//   SHOULD NOT depend on" it, so every manifest and blob is hashed here and compared with the digest
//   that named it.
// - Docker's token authentication spec (docs.docker.com/reference/api/registry/auth, the
//   distribution "Token Authentication Specification"): a 401 carries
//   `WWW-Authenticate: Bearer realm="…",service="…",scope="…"`; the client GETs
//   `<realm>?service=…&scope=…` (with Basic credentials when it has some, anonymously otherwise),
//   reads `token` (or `access_token`, its OAuth 2.0 alias) from the JSON answer and retries with
//   `Authorization: Bearer <token>`. Tokens are short-lived (`expires_in` "defaults to 60 seconds"
//   when omitted), so a later 401 re-runs the challenge instead of trusting an expiry.
// - Blobs are commonly answered with a 307 to a CDN or object store on another origin (distribution
//   spec issue #397; GHCR redirects to pkg-containers.githubusercontent.com). The registry's token
//   must not travel there. The Fetch standard (whatwg/fetch PR #1544, "Remove Authorization header
//   upon cross-origin redirect": "the moment another origin is seen after the initial request, the
//   `Authorization` header is removed") makes Node's fetch drop it (seen on Node 20.20), but
//   redirects are followed here by hand (`redirect: 'manual'`) so the rule holds whatever the
//   runtime's fetch does, and an https → http downgrade is refused.
import { createHash } from 'node:crypto';
import { ImageReference, registryApiHost } from '../../lib/private/image-reference';
import { MirrorError } from './errors';

/** The network: WHATWG fetch (the runtime's, or a test's). */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** Manifest media types (OCI image spec; Docker image manifest v2 schema 2). */
export const MediaType = {
  OCI_INDEX: 'application/vnd.oci.image.index.v1+json',
  DOCKER_MANIFEST_LIST: 'application/vnd.docker.distribution.manifest.list.v2+json',
  OCI_MANIFEST: 'application/vnd.oci.image.manifest.v1+json',
  DOCKER_MANIFEST: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
export const INDEX_TYPES: readonly string[] = [MediaType.OCI_INDEX, MediaType.DOCKER_MANIFEST_LIST];
export const MANIFEST_TYPES: readonly string[] = [MediaType.OCI_MANIFEST, MediaType.DOCKER_MANIFEST];
const ACCEPT = [...INDEX_TYPES, ...MANIFEST_TYPES].join(', ');

/**
 * The largest manifest read: the distribution spec lets registries refuse manifests over 4 MiB, and
 * ECR's PutImage takes an `imageManifest` of at most 4194304 characters (ECR API reference).
 */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY = 1024;

/** A manifest as received: its exact bytes (what the digest covers and ECR stores) and parsed JSON. */
export interface Manifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly json: ManifestJson;
}

/** The fields of an image manifest or index that the copy reads. */
export interface ManifestJson {
  readonly mediaType?: string;
  readonly config?: Descriptor;
  readonly layers?: Descriptor[];
  readonly manifests?: Descriptor[];
}

/** An OCI content descriptor. */
export interface Descriptor {
  readonly mediaType?: string;
  readonly digest: string;
  readonly size: number;
  readonly urls?: string[];
}

/** A blob being received: its declared length and its bytes as they arrive. */
export interface BlobStream {
  readonly size?: number;
  readonly body: AsyncIterable<Uint8Array>;
}

/** User name and password for the source registry. */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/** Options of {@link RegistryClient}. */
export interface RegistryClientOptions {
  readonly fetch: Fetch;
  readonly credentials?: RegistryCredentials;
  /** The base URL of a registry host; default `https://<host>` (tests point it at http://127.0.0.1). */
  readonly baseUrl?: (host: string) => string;
  /** Aborts every request (the handler's deadline). */
  readonly signal?: AbortSignal;
}

/** Reads manifests and blobs of one repository of a registry. */
export class RegistryClient {
  private readonly base: string;
  private authorization?: string;

  constructor(private readonly reference: ImageReference, private readonly options: RegistryClientOptions) {
    const host = registryApiHost(reference);
    this.base = (options.baseUrl ?? ((h: string) => `https://${h}`))(host).replace(/\/+$/, '');
  }

  /** `registry/repository`, for messages. */
  public get name(): string {
    return `${this.reference.registry}/${this.reference.repository}`;
  }

  /**
   * The manifest or index named by `tagOrDigest`, verified: its sha256 must equal `expectedDigest`
   * when given (a digest reference, or the descriptor that listed it), and the Docker-Content-Digest
   * the registry sent, when it sent one.
   */
  public async manifest(tagOrDigest: string, expected?: Descriptor | string): Promise<Manifest> {
    const what = `manifest ${this.name}${tagOrDigest.startsWith('sha256:') ? '@' : ':'}${tagOrDigest}`;
    const res = await this.request('GET', `manifests/${tagOrDigest}`, { accept: ACCEPT });
    if (res.status !== 200) await this.fail(res, `GET ${what}`);
    const bytes = await readLimited(res, MAX_MANIFEST_BYTES, what);
    const digest = sha256(bytes);
    const expectedDigest = typeof expected === 'string' ? expected : expected?.digest;
    if (expectedDigest !== undefined && digest !== expectedDigest) {
      throw new MirrorError(`${what}: received content has digest ${digest}, expected ${expectedDigest}`);
    }
    if (typeof expected === 'object' && expected.size !== bytes.length) {
      throw new MirrorError(`${what}: received ${bytes.length} bytes, its descriptor says ${expected.size}`);
    }
    const header = res.headers.get('docker-content-digest');
    if (header && header.startsWith('sha256:') && header !== digest) {
      throw new MirrorError(`${what}: received content has digest ${digest}, the registry says ${header}`);
    }
    let json: ManifestJson;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      throw new MirrorError(`${what}: not a UTF-8 JSON document`);
    }
    const mediaType = json.mediaType ?? res.headers.get('content-type')?.split(';')[0].trim() ?? '';
    if (!INDEX_TYPES.includes(mediaType) && !MANIFEST_TYPES.includes(mediaType)) {
      throw new MirrorError(`${what}: unsupported media type "${mediaType}" (OCI or Docker v2 manifests and indexes only)`);
    }
    return { digest, mediaType, bytes, json };
  }

  /** Opens blob `digest` for reading; the caller verifies its digest while streaming it. */
  public async blob(digest: string): Promise<BlobStream> {
    const what = `blob ${this.name}@${digest}`;
    const res = await this.request('GET', `blobs/${digest}`, { 'accept-encoding': 'identity' });
    if (res.status !== 200) await this.fail(res, `GET ${what}`);
    // fetch decodes a Content-Encoding itself; a blob's digest covers the bytes as stored.
    const encoding = res.headers.get('content-encoding');
    if (encoding && encoding.toLowerCase() !== 'identity') {
      await res.body?.cancel();
      throw new MirrorError(`GET ${what}: the response is sent with Content-Encoding ${encoding}; a blob must be sent as stored`);
    }
    if (!res.body) throw new MirrorError(`GET ${what}: empty response`);
    const length = res.headers.get('content-length');
    return { size: length !== null ? Number(length) : undefined, body: res.body as unknown as AsyncIterable<Uint8Array> };
  }

  /** One request of the registry API, authenticating on a 401 challenge (again when a token expires). */
  private async request(method: 'GET' | 'HEAD', path: string, headers: Record<string, string>): Promise<Response> {
    const url = `${this.base}/v2/${this.reference.repository}/${path}`;
    let res = await this.send(method, url, headers, this.authorization);
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate');
      await discard(res);
      this.authorization = await this.authenticate(challenge);
      res = await this.send(method, url, headers, this.authorization);
      if (res.status === 401) {
        await discard(res);
        throw new MirrorError(`${method} ${url}: the registry refused the credentials it asked for (401 after authenticating)`
          + (this.options.credentials ? '' : '; the repository may need credentials (credentialSecret)'));
      }
    }
    return res;
  }

  /** Sends a request and follows redirects, keeping Authorization on the original origin only. */
  private async send(method: string, url: string, headers: Record<string, string>, authorization?: string): Promise<Response> {
    let current = new URL(url);
    const origin = current.origin;
    let auth = authorization;
    for (let hops = 0; ; hops++) {
      const res = await this.options.fetch(current.href, {
        method,
        headers: { ...headers, ...(auth ? { authorization: auth } : {}) },
        redirect: 'manual',
        signal: this.options.signal,
      });
      if (![301, 302, 303, 307, 308].includes(res.status)) return res;
      const location = res.headers.get('location');
      await discard(res);
      if (!location) throw new MirrorError(`${method} ${current.href}: redirect ${res.status} without a Location`);
      if (hops >= MAX_REDIRECTS) throw new MirrorError(`${method} ${url}: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, current);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new MirrorError(`${method} ${url}: redirect to a non-HTTP URL`);
      if (current.protocol === 'https:' && next.protocol !== 'https:') throw new MirrorError(`${method} ${url}: redirect from https to ${next.protocol}`);
      // Once another origin is seen, the token stays behind, also if a later hop comes back.
      if (next.origin !== origin) auth = undefined;
      current = next;
    }
  }

  /** Answers a `WWW-Authenticate` challenge: the Authorization header value to retry with. */
  private async authenticate(challenge: string | null): Promise<string> {
    const parsed = challenge ? parseChallenge(challenge) : undefined;
    const credentials = this.options.credentials;
    const basic = credentials ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}` : undefined;
    if (parsed?.scheme === 'basic') {
      if (!basic) throw new MirrorError(`${this.name}: the registry asks for a user name and password (Basic); give the mirror a credential secret`);
      return basic;
    }
    if (parsed?.scheme !== 'bearer' || !parsed.params.realm) {
      throw new MirrorError(`${this.name}: the registry answered 401 without a Bearer or Basic challenge (WWW-Authenticate: ${truncate(challenge ?? 'none', 200)})`);
    }
    const realm = new URL(parsed.params.realm);
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && this.base.startsWith('http:'))) {
      throw new MirrorError(`${this.name}: the token realm ${realm.origin} is not https`);
    }
    if (parsed.params.service) realm.searchParams.set('service', parsed.params.service);
    realm.searchParams.set('scope', parsed.params.scope ?? `repository:${this.reference.repository}:pull`);
    const res = await this.options.fetch(realm.href, {
      method: 'GET',
      headers: { accept: 'application/json', ...(basic ? { authorization: basic } : {}) },
      redirect: 'error',
      signal: this.options.signal,
    });
    if (res.status !== 200) await this.fail(res, `GET token from ${realm.origin}${realm.pathname}`);
    const body = JSON.parse((await readLimited(res, 64 * 1024, 'token response')).toString('utf8')) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new MirrorError(`${this.name}: the token service answered without a token`);
    return `Bearer ${token}`;
  }

  /** Throws for a failed response, with the registry's own error code and message (OCI error body). */
  private async fail(res: Response, what: string): Promise<never> {
    let detail = '';
    try {
      const text = (await readLimited(res, MAX_ERROR_BODY, what, true)).toString('utf8');
      const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      detail = (body.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
    } catch {
      // not an OCI error body
    }
    const hint = res.status === 429 ? ' (rate limited: the registry limits pulls; retry later or use credentials)' : '';
    throw new MirrorError(`${what}: HTTP ${res.status}${detail ? ` (${truncate(detail, 300)})` : ''}${hint}`);
  }
}

/** `WWW-Authenticate: <scheme> k="v",k2="v2"` (RFC 9110 auth-params; quoted values may hold commas). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } | undefined {
  const m = /^\s*([A-Za-z][\w!#$%&'*+.^`|~-]*)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([\w!#$%&'*+.^`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/g;
  for (let p = re.exec(m[2]); p; p = re.exec(m[2])) {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  }
  return { scheme: m[1].toLowerCase(), params };
}

/** `sha256:<hex>` of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function readLimited(res: Response, limit: number, what: string, cut = false): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit) {
      if (cut) {
        chunks.push(Buffer.from(chunk.subarray(0, chunk.length - (size - limit))));
        break;
      }
      throw new MirrorError(`${what}: larger than ${limit} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  if (cut) await res.body.cancel().catch(() => undefined);
  return Buffer.concat(chunks);
}

async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
