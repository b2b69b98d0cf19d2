import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { tracer } from '../observability.js';

/** Mining artifacts in S3 (shard histories, fitted models). JSON and JSON lines only. */
export class ArtifactStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  static create(bucket: string, endpoint?: string): ArtifactStore {
    // Local emulators serve path-style URLs; AWS uses virtual-hosted style.
    return new ArtifactStore(tracer.captureAWSv3Client(new S3Client(endpoint ? { endpoint, forcePathStyle: true } : {})), bucket);
  }

  async putJson(key: string, value: unknown): Promise<void> {
    await this.put(key, JSON.stringify(value), 'application/json');
  }

  async getJson<T>(key: string): Promise<T> {
    return JSON.parse(await this.get(key)) as T;
  }

  async putLines(key: string, rows: unknown[]): Promise<void> {
    await this.put(key, rows.map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson');
  }

  async getLines<T>(key: string): Promise<T[]> {
    const text = await this.get(key);
    return text ? text.split('\n').map((line) => JSON.parse(line) as T) : [];
  }

  private async put(key: string, body: string, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  private async get(key: string): Promise<string> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return (await out.Body?.transformToString('utf8')) ?? '';
  }
}
