/**
 * Container image references (`docker.io/envoyproxy/envoy:v1.40.2`, `ghcr.io/org/app@sha256:<hex>`),
 * parsed by the grammar of distribution/reference (`reference/regexp.go`, the grammar the Docker
 * CLI and the OCI distribution spec's `<name>` use):
 *
 * - the first `/`-separated component is a registry host when it contains `.` or `:`, is
 *   `localhost`, or has an upper-case letter; otherwise the registry is Docker Hub (`docker.io`);
 * - a Docker Hub name of a single component is an official image, `library/<name>`;
 * - path components are lower-case `[a-z0-9]+` joined by `.`, `_`, `__` or dashes;
 * - a tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; a digest here must be `sha256:` and 64 hex digits
 *   (the only algorithm Amazon ECR and this library verify).
 *
 * Pure TypeScript without dependencies: the construct validates with it at synthesis and the image
 * mirror's Lambda handler bundles it.
 */

/** A parsed image reference. */
export interface ImageReference {
  /** Registry host as written, with `index.docker.io` folded into `docker.io` (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
  readonly registry: string;
  /** Repository path inside the registry (`envoyproxy/envoy`, `library/nginx`). */
  readonly repository: string;
  /** The tag, when given. */
  readonly tag?: string;
  /** The manifest digest, when given (`sha256:<64 hex>`). */
  readonly digest?: string;
}

/** Docker Hub's registry name in references. */
export const DOCKER_HUB = 'docker.io';
/**
 * The host that serves Docker Hub's registry API: `docker.io` is only a name in references
 * (Docker's distribution code maps it to `registry-1.docker.io`, and its pull-rate documentation
 * queries `https://registry-1.docker.io/v2/...`).
 */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

/** The accepted form, for error messages. */
export const IMAGE_REFERENCE_FORM = '[registry/]repository:tag or [registry/]repository[:tag]@sha256:<64 hex digits> '
  + '(lower-case path components; registry defaults to docker.io)';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** distribution/reference's limit on the whole name (registry and path). */
const MAX_NAME_LENGTH = 255;

/**
 * Parses `value`, which must name a tag or a digest (a mirror copies one fixed image, never an
 * implicit `latest`). Returns the reference, or a sentence saying what is wrong.
 */
export function parseImageReference(value: string): { readonly reference?: ImageReference; readonly problem?: string } {
  if (typeof value !== 'string' || value.trim() === '') return { problem: 'it is empty' };
  if (value !== value.trim() || /\s/.test(value)) return { problem: 'it contains white space' };
  let rest = value;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { problem: `its digest "${digest}" is not sha256: followed by 64 lower-case hex digits` };
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { problem: `its tag "${tag}" is not 1 to 128 characters of letters, digits, '_', '.' and '-' (not starting with '.' or '-')` };
  }
  if (tag === undefined && digest === undefined) return { problem: 'it names neither a tag nor a digest' };

  let registry = DOCKER_HUB;
  let path = rest;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())) {
    registry = first === 'index.docker.io' ? DOCKER_HUB : first;
    path = rest.slice(slash + 1);
    if (!DOMAIN.test(registry)) return { problem: `its registry "${registry}" is not a host name with an optional port` };
  }
  const components = path.split('/');
  const bad = components.find((c) => !COMPONENT.test(c));
  if (bad !== undefined) return { problem: `its repository path component "${bad}" is not lower-case letters and digits joined by '.', '_', '__' or '-'` };
  if (registry === DOCKER_HUB && components.length === 1) path = `library/${path}`;
  if (registry.length + 1 + path.length > MAX_NAME_LENGTH) return { problem: `its name is longer than ${MAX_NAME_LENGTH} characters` };
  return { reference: { registry, repository: path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) } };
}

/** The host whose `/v2/` API serves `reference`'s registry. */
export function registryApiHost(reference: ImageReference): string {
  return reference.registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : reference.registry;
}

/** The canonical string of `reference` (`docker.io/library/nginx:1.27`). */
export function formatImageReference(reference: ImageReference): string {
  return `${reference.registry}/${reference.repository}${reference.tag !== undefined ? `:${reference.tag}` : ''}${reference.digest !== undefined ? `@${reference.digest}` : ''}`;
}

/** The longest tag the OCI distribution spec's tag grammar allows. */
const MAX_TAG_LENGTH = 128;

/**
 * The tag a mirrored image gets in the platform's one repository, from its source: the repository
 * path with `/` as `.`, then `-` and the source tag, or the digest's hex when the source names a
 * digest (`docker.io/envoyproxy/envoy:v1.40.2` → `envoyproxy.envoy-v1.40.2`). The registry host leads
 * when it is not Docker Hub (`ghcr.io.org.app-1.0`). The path keeps images of different sources
 * with the same tag apart; a tag longer than 128 characters is cut and ends with a hash of the whole.
 */
export function mirrorTag(reference: ImageReference): string {
  const host = reference.registry === DOCKER_HUB ? '' : `${reference.registry}.`;
  const suffix = reference.digest !== undefined ? reference.digest.slice('sha256:'.length) : reference.tag!;
  const tag = `${host}${reference.repository.replace(/\//g, '.')}-${suffix}`.replace(/[^\w.-]+/g, '-').replace(/^[.-]+/, '');
  if (tag.length <= MAX_TAG_LENGTH) return tag;
  return `${tag.slice(0, MAX_TAG_LENGTH - 17)}-${fnv1a64(tag)}`;
}

/** 16 hex digits of FNV-1a (64-bit) of `text`: a stable short suffix, not a security hash. */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * Whether an image name (as a container definition's `Image` holds it: a tag, a digest or neither)
 * is pulled from Docker Hub: by the same rule as {@link parseImageReference}, a name whose first
 * component is no registry host (`nginx:1.27`, `envoyproxy/envoy:v1.40.2`), or `docker.io/...`.
 */
export function isDockerHubImage(name: string): boolean {
  const withoutDigest = name.split('@')[0];
  const slash = withoutDigest.indexOf('/');
  if (slash < 0) return true;
  const first = withoutDigest.slice(0, slash);
  const isHost = /[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase();
  return !isHost || first === DOCKER_HUB || first === 'index.docker.io' || first === DOCKER_HUB_API_HOST;
}
