// The destination side: one Amazon ECR repository of this account and region, written through the
// ECR API (the AWS SDK), as the docker CLI's ECR proxy does. Rules taken from the ECR API reference
// (docs.aws.amazon.com/AmazonECR/latest/APIReference) and the ECR service quotas page
// (docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html):
// - BatchCheckLayerAvailability takes 1 to 100 layerDigests: blobs already there are skipped.
// - InitiateLayerUpload returns `partSize`, "the size, in bytes, that Amazon ECR expects future layer
//   part uploads to be": parts are cut to it. UploadLayerPart's `partFirstByte`/`partLastByte` are
//   "the position of the first/last byte of the layer part within the overall image layer"
//   (inclusive), and InvalidLayerPartException means "the first byte specified is not consecutive to
//   the last byte of a previous layer part upload". Quotas: "Minimum layer part size 5" MiB and
//   "Maximum layer part size 10" MiB ("applicable if you are using Amazon ECR API actions directly");
//   the API reference caps `layerPartBlob` at 20971520 bytes. A missing or absurd partSize falls back
//   to 10 MiB, and no part is ever over 20971520 bytes.
// - CompleteLayerUpload checks the digest ("InvalidLayerException: The layer digest calculation
//   performed by Amazon ECR upon receipt of the image layer does not match the digest specified");
//   LayerAlreadyExistsException means another upload won the race: fine.
// - PutImage takes `imageDigest`, `imageManifestMediaType` and an optional `imageTag` ("This
//   parameter is optional"): child manifests go by digest alone, then the index with the tag.
//   ImageAlreadyExistsException ("has already been pushed, and there were no changes to the manifest
//   or image tag") is success; ImageTagAlreadyExistsException ("tagged with a tag that already
//   exists. The repository is configured for tag immutability") is success only when the tag
//   already names the same digest.
import type {
  BatchCheckLayerAvailabilityCommandInput, BatchCheckLayerAvailabilityCommandOutput,
  CompleteLayerUploadCommandInput, CompleteLayerUploadCommandOutput,
  DescribeImagesCommandInput, DescribeImagesCommandOutput,
  DescribeRepositoriesCommandInput, DescribeRepositoriesCommandOutput,
  InitiateLayerUploadCommandInput, InitiateLayerUploadCommandOutput,
  PutImageCommandInput, PutImageCommandOutput,
  UploadLayerPartCommandInput, UploadLayerPartCommandOutput,
} from '@aws-sdk/client-ecr';
import { createHash } from 'node:crypto';
import { errorName, MirrorError } from './errors';
import type { BlobStream, Descriptor, Manifest } from './registry';

type Out<T> = Omit<T, '$metadata'>;

/** The ECR operations the mirror calls (the SDK's client, or a test's fake). */
export interface EcrApi {
  describeRepositories(input: DescribeRepositoriesCommandInput): Promise<Out<DescribeRepositoriesCommandOutput>>;
  describeImages(input: DescribeImagesCommandInput): Promise<Out<DescribeImagesCommandOutput>>;
  batchCheckLayerAvailability(input: BatchCheckLayerAvailabilityCommandInput): Promise<Out<BatchCheckLayerAvailabilityCommandOutput>>;
  initiateLayerUpload(input: InitiateLayerUploadCommandInput): Promise<Out<InitiateLayerUploadCommandOutput>>;
  uploadLayerPart(input: UploadLayerPartCommandInput): Promise<Out<UploadLayerPartCommandOutput>>;
  completeLayerUpload(input: CompleteLayerUploadCommandInput): Promise<Out<CompleteLayerUploadCommandOutput>>;
  putImage(input: PutImageCommandInput): Promise<Out<PutImageCommandOutput>>;
}

/** ECR's quota "Maximum layer part size", the part size used when InitiateLayerUpload names none. */
export const DEFAULT_PART_SIZE = 10 * 1024 * 1024;
/** UploadLayerPart's `layerPartBlob` length constraint. */
export const MAX_PART_BYTES = 20971520;
/** BatchCheckLayerAvailability's `layerDigests`: 1 to 100 items. */
const CHECK_BATCH = 100;

/** Writes blobs and manifests into one ECR repository. */
export class EcrTarget {
  constructor(private readonly ecr: EcrApi, private readonly repositoryName: string, private readonly signal?: AbortSignal) {}

  /** The repository's URI (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`), as ECR reports it. */
  public async repositoryUri(): Promise<string> {
    try {
      const out = await this.ecr.describeRepositories({ repositoryNames: [this.repositoryName] });
      const uri = out.repositories?.[0]?.repositoryUri;
      if (!uri) throw new MirrorError(`ECR repository ${this.repositoryName}: DescribeRepositories returned no URI`);
      return uri;
    } catch (err) {
      if (errorName(err) === 'RepositoryNotFoundException') throw new MirrorError(`ECR repository ${this.repositoryName} does not exist in this account and region`);
      throw err;
    }
  }

  /** The digest tag `tag` names in the repository, or undefined when it names none. */
  public async digestOfTag(tag: string): Promise<string | undefined> {
    try {
      const out = await this.ecr.describeImages({ repositoryName: this.repositoryName, imageIds: [{ imageTag: tag }] });
      return out.imageDetails?.[0]?.imageDigest;
    } catch (err) {
      if (errorName(err) === 'ImageNotFoundException') return undefined;
      throw err;
    }
  }

  /** The digests of `blobs` that the repository lacks. */
  public async missingBlobs(blobs: readonly Descriptor[]): Promise<Descriptor[]> {
    const missing: Descriptor[] = [];
    for (let i = 0; i < blobs.length; i += CHECK_BATCH) {
      const batch = blobs.slice(i, i + CHECK_BATCH);
      const out = await this.ecr.batchCheckLayerAvailability({ repositoryName: this.repositoryName, layerDigests: batch.map((b) => b.digest) });
      const available = new Set((out.layers ?? []).filter((l) => l.layerAvailability === 'AVAILABLE').map((l) => l.layerDigest));
      missing.push(...batch.filter((b) => !available.has(b.digest)));
    }
    return missing;
  }

  /**
   * Streams `blob` into the repository in parts of ECR's part size, hashing as it goes; completes
   * the upload only when the bytes received have the blob's size and sha256 (a corrupt or truncated
   * download is never committed: the upload is left to expire).
   */
  public async uploadBlob(blob: Descriptor, source: BlobStream): Promise<void> {
    const what = `blob ${blob.digest}`;
    if (source.size !== undefined && source.size !== blob.size) {
      throw new MirrorError(`${what}: the source sends ${source.size} bytes, its descriptor says ${blob.size}`);
    }
    const started = await this.ecr.initiateLayerUpload({ repositoryName: this.repositoryName });
    const uploadId = started.uploadId;
    if (!uploadId) throw new MirrorError(`${what}: InitiateLayerUpload returned no upload id`);
    const partSize = Number.isInteger(started.partSize) && started.partSize! > 0 ? Math.min(started.partSize!, MAX_PART_BYTES) : DEFAULT_PART_SIZE;

    const hash = createHash('sha256');
    let offset = 0;
    let part = Buffer.allocUnsafe(partSize);
    let filled = 0;
    const flush = async () => {
      if (filled === 0) return;
      this.signal?.throwIfAborted();
      await this.ecr.uploadLayerPart({
        repositoryName: this.repositoryName,
        uploadId,
        partFirstByte: offset,
        partLastByte: offset + filled - 1,
        layerPartBlob: part.subarray(0, filled),
      });
      offset += filled;
      part = Buffer.allocUnsafe(partSize); // the SDK may still hold the previous buffer
      filled = 0;
    };
    for await (const chunk of source.body) {
      hash.update(chunk);
      if (offset + filled + chunk.length > blob.size) {
        throw new MirrorError(`${what}: the source sent more than the ${blob.size} bytes its descriptor says`);
      }
      let at = 0;
      while (at < chunk.length) {
        const n = Math.min(partSize - filled, chunk.length - at);
        part.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === partSize) await flush();
      }
    }
    await flush();
    const received = `sha256:${hash.digest('hex')}`;
    if (offset !== blob.size) throw new MirrorError(`${what}: received ${offset} bytes, its descriptor says ${blob.size}`);
    if (received !== blob.digest) throw new MirrorError(`${what}: received content has digest ${received} (corrupt download, not uploaded)`);
    try {
      await this.ecr.completeLayerUpload({ repositoryName: this.repositoryName, uploadId, layerDigests: [blob.digest] });
    } catch (err) {
      if (errorName(err) !== 'LayerAlreadyExistsException') throw err;
    }
  }

  /**
   * Puts `manifest` by digest, with `tag` when given. Returns once the repository holds it; throws
   * when an immutable `tag` already names another digest, naming both.
   */
  public async putManifest(manifest: Manifest, tag?: string): Promise<void> {
    try {
      await this.ecr.putImage({
        repositoryName: this.repositoryName,
        imageManifest: manifest.bytes.toString('utf8'),
        imageManifestMediaType: manifest.mediaType,
        imageDigest: manifest.digest,
        ...(tag !== undefined ? { imageTag: tag } : {}),
      });
    } catch (err) {
      const name = errorName(err);
      if (name === 'ImageAlreadyExistsException') return;
      if (name === 'ImageTagAlreadyExistsException' && tag !== undefined) {
        const current = await this.digestOfTag(tag);
        if (current === manifest.digest) return;
        throw tagConflict(this.repositoryName, tag, current ?? 'another image', manifest.digest);
      }
      throw err;
    }
  }
}

/** The FAILED reason of an immutable tag that names another image. */
export function tagConflict(repository: string, tag: string, existing: string, wanted: string): MirrorError {
  return new MirrorError(`ECR repository ${repository}: tag "${tag}" already points at ${existing}, `
    + `not at ${wanted} (the source image's digest), and the repository's tags are immutable. `
    + 'The source tag was moved: mirror it by digest (image@sha256:...) or under another tag.');
}
