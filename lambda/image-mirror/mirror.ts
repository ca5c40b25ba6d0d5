// Copies one image (an index and every manifest it lists, or a single manifest) with all its blobs
// from a registry into an ECR repository, and tags it there.
import type { ImageReference } from '../../lib/private/image-reference';
import { MirrorError } from './errors';
import { EcrTarget, tagConflict } from './ecr-target';
import { Descriptor, INDEX_TYPES, Manifest, MANIFEST_TYPES, RegistryClient } from './registry';

/** Blobs copied at once: memory stays near this many ECR parts (10 MiB each by default). */
export const BLOB_CONCURRENCY = 3;

/** What a mirror run did. */
export interface MirrorResult {
  /** Digest of the mirrored index (or single manifest): the same as the source's. */
  readonly digest: string;
  /** `<repositoryUri>@<digest>`. */
  readonly imageUri: string;
  /** Blobs written to ECR (the others were already there). */
  readonly blobsUploaded: number;
  /** True when the tag already named the source's digest: nothing was read from the source but a HEAD. */
  readonly alreadyMirrored: boolean;
}

/** One line of the function's log. */
export type Log = (message: string, fields?: Record<string, unknown>) => void;

/**
 * Mirrors `reference` into `target` under `tag`. Idempotent: a tag that already names the source's
 * digest ends the run after one HEAD; blobs and manifests ECR already has are skipped.
 */
export async function mirrorImage(o: {
  readonly reference: ImageReference;
  readonly source: RegistryClient;
  readonly target: EcrTarget;
  readonly repositoryName: string;
  readonly tag: string;
  readonly log: Log;
  readonly signal?: AbortSignal;
}): Promise<MirrorResult> {
  const { reference, source, target, tag, log } = o;
  const name = reference.digest ?? reference.tag!;
  const repositoryUri = await target.repositoryUri();

  // The repository's tags are immutable: a tag it holds is the copy the tasks run. It is kept
  // without asking the source, so an update of the platform that keeps the tag (a credential
  // added, say) never depends on the source registry; only a source pinned by digest is compared.
  const tagged = await target.digestOfTag(tag);
  if (tagged !== undefined) {
    if (reference.digest !== undefined && reference.digest !== tagged) throw tagConflict(o.repositoryName, tag, tagged, reference.digest);
    log('already mirrored', { tag, digest: tagged });
    return { digest: tagged, imageUri: `${repositoryUri}@${tagged}`, blobsUploaded: 0, alreadyMirrored: true };
  }

  const top = await source.manifest(name, reference.digest);
  const children: Manifest[] = [];
  if (INDEX_TYPES.includes(top.mediaType)) {
    const listed = top.json.manifests ?? [];
    if (listed.length === 0) throw new MirrorError(`${source.name}@${top.digest}: the index lists no manifest`);
    for (const d of listed) {
      o.signal?.throwIfAborted();
      const child = await source.manifest(d.digest, d);
      if (!MANIFEST_TYPES.includes(child.mediaType)) {
        throw new MirrorError(`${source.name}@${d.digest}: the index lists a ${child.mediaType}; nested indexes are not mirrored`);
      }
      children.push(child);
    }
  }
  const images = children.length > 0 ? children : [top];
  const blobs = uniqueBlobs(images, source.name);
  const missing = await target.missingBlobs(blobs);
  log('copying', { digest: top.digest, manifests: images.length, blobs: blobs.length, missing: missing.length });

  let next = 0;
  const worker = async () => {
    while (next < missing.length) {
      const blob = missing[next++];
      o.signal?.throwIfAborted();
      await target.uploadBlob(blob, await source.blob(blob.digest));
      log('blob uploaded', { digest: blob.digest, size: blob.size });
    }
  };
  await Promise.all(Array.from({ length: Math.min(BLOB_CONCURRENCY, missing.length) }, worker));

  for (const child of children) await target.putManifest(child);
  await target.putManifest(top, tag);
  log('mirrored', { tag, digest: top.digest });
  return { digest: top.digest, imageUri: `${repositoryUri}@${top.digest}`, blobsUploaded: missing.length, alreadyMirrored: false };
}

/** Config and layer descriptors of `manifests`, each digest once. */
function uniqueBlobs(manifests: readonly Manifest[], sourceName: string): Descriptor[] {
  const byDigest = new Map<string, Descriptor>();
  for (const m of manifests) {
    const { config, layers } = m.json;
    if (!config) throw new MirrorError(`${sourceName}@${m.digest}: the manifest has no config`);
    for (const d of [config, ...(layers ?? [])]) {
      if (typeof d?.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d.digest) || !Number.isSafeInteger(d.size) || d.size < 0) {
        throw new MirrorError(`${sourceName}@${m.digest}: a descriptor has no sha256 digest or size`);
      }
      if (d.urls?.length) throw new MirrorError(`${sourceName}@${m.digest}: blob ${d.digest} is a foreign layer (urls), which is not mirrored`);
      byDigest.set(d.digest, d);
    }
  }
  return [...byDigest.values()];
}
