import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ObjectTables, Statement } from '../aws/fauxqs.ts';
import { escapeXml } from '../aws/query-protocol.ts';
import { ACCOUNT_ID } from '../constants.ts';
import type { RequestHandler } from '../registry.ts';
import { S3Failure, sendError, sendXml } from './responses.ts';

/** The object's columns of s3_objects, which a noncurrent version keeps a copy of. */
const OBJECT_COLUMNS = [
  'body',
  'content_type',
  'content_length',
  'etag',
  'last_modified',
  'metadata',
  'content_language',
  'content_disposition',
  'cache_control',
  'content_encoding',
  'parts',
  'checksum_algorithm',
  'checksum_value',
  'checksum_type',
  'part_checksums',
].join(', ');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS shopstream_s3_versioning (
  bucket TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('Enabled', 'Suspended'))
);
-- Every version of a key in a bucket that has had versioning on: the current one (is_latest)
-- has its object in s3_objects and only its id here; a noncurrent one keeps its object here.
CREATE TABLE IF NOT EXISTS shopstream_s3_versions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  version_id TEXT NOT NULL,
  is_latest INTEGER NOT NULL,
  is_delete_marker INTEGER NOT NULL,
  created TEXT NOT NULL,
  body BLOB, content_type TEXT, content_length INTEGER, etag TEXT, last_modified TEXT,
  metadata TEXT, content_language TEXT, content_disposition TEXT, cache_control TEXT,
  content_encoding TEXT, parts TEXT, checksum_algorithm TEXT, checksum_value TEXT,
  checksum_type TEXT, part_checksums TEXT,
  UNIQUE (bucket, key, version_id)
);
CREATE INDEX IF NOT EXISTS shopstream_s3_versions_key ON shopstream_s3_versions (bucket, key, seq);
`;

interface VersionRow {
  seq: number;
  version_id: string;
  is_latest: number;
  is_delete_marker: number;
}

/**
 * S3 bucket versioning, which fauxqs 2.4.1 does not have, kept in its SQLite database so that
 * a version and the write that made it commit together: PutBucketVersioning and
 * GetBucketVersioning; a version id for each write (in the response, and in the notification);
 * GetObject, HeadObject and DeleteObject of a version; delete markers; ListObjectVersions.
 * The current version stays fauxqs's object, so every other S3 call sees it as before.
 * Lifecycle rules are stored by fauxqs and not applied: noncurrent versions stay until deleted.
 */
export class ObjectVersions {
  private readonly tables: ObjectTables;
  private readonly statusOf: Statement;
  private readonly setStatus: Statement;
  private readonly latest: Statement;
  private readonly find: Statement;
  private readonly newest: Statement;
  private readonly insert: Statement;
  private readonly keepObject: Statement;
  private readonly noncurrent: Statement;
  private readonly remove: Statement;
  private readonly current: Statement;
  private readonly removeCurrent: Statement;
  private readonly restoreCurrent: Statement;
  private readonly anyVersion: Statement;
  private readonly dropObject: Statement;
  private readonly listing: Statement;

  constructor(tables: ObjectTables) {
    this.tables = tables;
    tables.exec(SCHEMA);
    const t = 'shopstream_s3_versions';
    this.statusOf = tables.prepare('SELECT status FROM shopstream_s3_versioning WHERE bucket = ?');
    this.setStatus = tables.prepare(
      'INSERT OR REPLACE INTO shopstream_s3_versioning (bucket, status) VALUES (?, ?)',
    );
    const columns = 'seq, version_id, is_latest, is_delete_marker';
    this.latest = tables.prepare(
      `SELECT ${columns} FROM ${t} WHERE bucket = ? AND key = ? AND is_latest = 1`,
    );
    this.find = tables.prepare(
      `SELECT ${columns}, ${OBJECT_COLUMNS} FROM ${t} WHERE bucket = ? AND key = ? AND version_id = ?`,
    );
    this.newest = tables.prepare(
      `SELECT ${columns} FROM ${t} WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1`,
    );
    this.insert = tables.prepare(
      `INSERT INTO ${t} (bucket, key, version_id, is_latest, is_delete_marker, created)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.keepObject = tables.prepare(
      `UPDATE ${t} SET (${OBJECT_COLUMNS}) =
         (SELECT ${OBJECT_COLUMNS} FROM s3_objects WHERE bucket = ? AND key = ?)
       WHERE seq = ?`,
    );
    this.noncurrent = tables.prepare(`UPDATE ${t} SET is_latest = ? WHERE seq = ?`);
    this.remove = tables.prepare(`DELETE FROM ${t} WHERE seq = ?`);
    this.current = tables.prepare('SELECT 1 FROM s3_objects WHERE bucket = ? AND key = ?');
    this.removeCurrent = tables.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ?');
    this.restoreCurrent = tables.prepare(
      `INSERT OR REPLACE INTO s3_objects (bucket, key, ${OBJECT_COLUMNS})
       SELECT bucket, key, ${OBJECT_COLUMNS} FROM ${t} WHERE seq = ?`,
    );
    this.anyVersion = tables.prepare(`SELECT 1 FROM ${t} WHERE bucket = ? LIMIT 1`);
    this.dropObject = tables.prepare(
      `UPDATE ${t} SET body = NULL, content_length = NULL, etag = NULL, last_modified = NULL
        WHERE seq = ?`,
    );
    // Versions, newest first within a key, and objects from before versioning as "null".
    this.listing = tables.prepare(
      `SELECT v.key, v.seq, v.version_id, v.is_latest, v.is_delete_marker,
                coalesce(v.etag, o.etag) AS etag,
                coalesce(v.content_length, o.content_length) AS size,
                CASE WHEN v.is_delete_marker = 1 THEN v.created
                     ELSE coalesce(v.last_modified, o.last_modified) END AS last_modified
           FROM shopstream_s3_versions v
           LEFT JOIN s3_objects o ON v.is_latest = 1 AND o.bucket = v.bucket AND o.key = v.key
          WHERE v.bucket = ?1 AND substr(v.key, 1, length(?2)) = ?2
            AND (v.key > ?3 OR (v.key = ?3 AND v.seq < ?4))
         UNION ALL
         SELECT o.key, 9e18, 'null', 1, 0, o.etag, o.content_length, o.last_modified
           FROM s3_objects o
          WHERE o.bucket = ?1 AND substr(o.key, 1, length(?2)) = ?2 AND o.key > ?3
            AND NOT EXISTS (SELECT 1 FROM shopstream_s3_versions v
                             WHERE v.bucket = o.bucket AND v.key = o.key)
          ORDER BY 1, 2 DESC
          LIMIT ?5`,
    );
  }

  status(bucket: string): 'Enabled' | 'Suspended' | null {
    return (this.statusOf.get(bucket)?.status as 'Enabled' | 'Suspended' | undefined) ?? null;
  }

  /**
   * Inside the store's transaction, before a write or delete changes the key's current object:
   * the current object becomes a noncurrent version (kept here), and the change gets its id.
   */
  beforeChange(bucket: string, key: string, change: 'write' | 'delete'): string | null {
    const status = this.status(bucket);
    if (!status) return null;
    const now = new Date().toISOString();
    const latest = this.latest.get(bucket, key) as VersionRow | undefined;
    // Suspended: the change takes the id "null", replacing the version of that id.
    const replaced = (id: string) => status === 'Suspended' && id === 'null';
    if (latest) {
      if (replaced(latest.version_id)) this.remove.run(latest.seq);
      else {
        if (!latest.is_delete_marker) this.keepObject.run(bucket, key, latest.seq);
        this.noncurrent.run(0, latest.seq);
      }
    } else if (this.current.get(bucket, key) && status === 'Enabled') {
      // An object from before versioning was turned on is the version "null".
      const { lastInsertRowid } = this.insert.run(bucket, key, 'null', 0, 0, now);
      this.keepObject.run(bucket, key, Number(lastInsertRowid));
    }
    const id = status === 'Suspended' ? 'null' : newVersionId();
    this.insert.run(bucket, key, id, 1, change === 'delete' ? 1 : 0, now);
    return id;
  }

  /** Headers of a response fauxqs made about this key: its current version. */
  headersFor(bucket: string, key: string): Record<string, string> {
    if (!this.status(bucket)) return {};
    const latest = this.latest.get(bucket, key) as VersionRow | undefined;
    if (!latest) return {};
    return {
      'x-amz-version-id': latest.version_id,
      ...(latest.is_delete_marker ? { 'x-amz-delete-marker': 'true' } : {}),
    };
  }

  /** The handler of an S3 request about versions, or null when fauxqs serves it as it is. */
  route(req: IncomingMessage): RequestHandler | null {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const segments = url.pathname.split('/').slice(1);
    const bucket = decodeURIComponent(segments[0] ?? '');
    const key = segments.slice(1).map(decodeURIComponent).join('/');
    if (!bucket || !this.tables.hasBucket(bucket)) return null;
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const handle = (fn: () => Promise<void> | void, res: ServerResponse) =>
      Promise.resolve()
        .then(fn)
        .catch((error: Error) => sendError(res, error, `/${bucket}/${key}`));
    if (!key) {
      if (q.has('versioning') && method === 'GET')
        return (_rq, rs) => handle(() => this.getVersioning(bucket, rs), rs);
      if (q.has('versioning') && method === 'PUT')
        return (rq, rs) => handle(() => this.putVersioning(bucket, rq, rs), rs);
      if (q.has('versions') && method === 'GET')
        return (_rq, rs) => handle(() => this.list(bucket, q, rs), rs);
      if (method === 'DELETE' && [...q.keys()].length === 0 && this.anyVersion.get(bucket))
        return (_rq, rs) =>
          handle(() => {
            throw new S3Failure(
              'BucketNotEmpty',
              'The bucket you tried to delete is not empty. You must delete all versions in the bucket.',
              409,
            );
          }, rs);
      return null;
    }
    const source = req.headers['x-amz-copy-source'];
    if (method === 'PUT' && typeof source === 'string' && source.includes('versionId='))
      return this.copySourceVersion(req, source);
    const versionId = q.get('versionId');
    if (versionId === null) return null;
    if (method === 'DELETE')
      return (_rq, rs) => handle(() => this.deleteVersion(bucket, key, versionId, rs), rs);
    if (method !== 'GET' && method !== 'HEAD') return null;
    const row = this.find.get(bucket, key, versionId) as
      | (VersionRow & Record<string, unknown>)
      | undefined;
    // The current version, or an object from before versioning asked for as "null": fauxqs's.
    if (row?.is_latest && !row.is_delete_marker) return null;
    if (!row && versionId === 'null' && !this.latest.get(bucket, key)) return null;
    return (rq, rs) => handle(() => serveVersion(rq, rs, versionId, row), rs);
  }

  private getVersioning(bucket: string, res: ServerResponse) {
    const status = this.status(bucket);
    sendXml(
      res,
      200,
      `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${
        status ? `<Status>${status}</Status>` : ''
      }</VersioningConfiguration>`,
    );
  }

  private async putVersioning(bucket: string, req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req);
    const status = /<Status>\s*(Enabled|Suspended)\s*<\/Status>/.exec(body)?.[1];
    if (!status)
      throw new S3Failure(
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
        400,
      );
    // Never turned on, "Suspended" leaves the bucket unversioned, as on S3.
    if (status === 'Enabled' || this.status(bucket)) this.setStatus.run(bucket, status);
    res.writeHead(200, { 'content-length': '0' }).end();
  }

  private deleteVersion(bucket: string, key: string, versionId: string, res: ServerResponse) {
    let marker = false;
    this.tables.atomically(() => {
      const row = this.find.get(bucket, key, versionId) as VersionRow | undefined;
      if (!row) {
        // An object from before versioning, addressed as "null".
        if (versionId === 'null' && !this.latest.get(bucket, key))
          this.removeCurrent.run(bucket, key);
        return;
      }
      marker = Boolean(row.is_delete_marker);
      this.remove.run(row.seq);
      if (!row.is_latest) return;
      if (!row.is_delete_marker) this.removeCurrent.run(bucket, key);
      // The newest version left becomes the current one, as on S3.
      const next = this.newest.get(bucket, key) as VersionRow | undefined;
      if (!next) return;
      this.noncurrent.run(1, next.seq);
      if (!next.is_delete_marker) {
        this.restoreCurrent.run(next.seq);
        // Its object lives in s3_objects again.
        this.dropObject.run(next.seq);
      }
    });
    this.tables.reload(bucket, key);
    res
      .writeHead(204, {
        'x-amz-version-id': versionId,
        ...(marker ? { 'x-amz-delete-marker': 'true' } : {}),
      })
      .end();
  }

  /** CopyObject from a version: the current one is copied as fauxqs copies; others are not. */
  private copySourceVersion(req: IncomingMessage, source: string): RequestHandler | null {
    const [path = '', query = ''] = decodeURIComponent(source).replace(/^\//, '').split('?');
    const versionId = new URLSearchParams(query).get('versionId');
    const slash = path.indexOf('/');
    const bucket = path.slice(0, slash);
    const key = path.slice(slash + 1);
    const latest = this.latest.get(bucket, key) as VersionRow | undefined;
    if (versionId === latest?.version_id || (versionId === 'null' && !latest)) {
      req.headers['x-amz-copy-source'] = `/${bucket}/${encodeURIComponent(key)}`;
      return null;
    }
    return async (_rq, rs) =>
      sendError(
        rs,
        new S3Failure(
          'NotImplemented',
          'The embedded cloud copies only the current version of an object',
          501,
        ),
        `/${bucket}/${key}`,
      );
  }

  private list(bucket: string, q: URLSearchParams, res: ServerResponse) {
    if (q.get('delimiter'))
      throw new S3Failure(
        'NotImplemented',
        'The embedded cloud lists object versions without a delimiter',
        501,
      );
    const prefix = q.get('prefix') ?? '';
    const maxKeys = Math.min(Number(q.get('max-keys') ?? 1000) || 1000, 1000);
    const keyMarker = q.get('key-marker') ?? '';
    const versionMarker = q.get('version-id-marker') ?? '';
    const markerRow = keyMarker
      ? (this.find.get(bucket, keyMarker, versionMarker) as VersionRow | undefined)
      : undefined;
    const rows = this.listing.all(bucket, prefix, keyMarker, markerRow?.seq ?? -1, maxKeys + 1);
    const truncated = rows.length > maxKeys;
    const shown = rows.slice(0, maxKeys);
    const owner = `<Owner><ID>${ACCOUNT_ID}</ID><DisplayName>local</DisplayName></Owner>`;
    const entries = shown.map((r) => {
      const common =
        `<Key>${escapeXml(String(r.key))}</Key><VersionId>${escapeXml(String(r.version_id))}</VersionId>` +
        `<IsLatest>${r.is_latest ? 'true' : 'false'}</IsLatest>` +
        `<LastModified>${new Date(String(r.last_modified)).toISOString()}</LastModified>`;
      return r.is_delete_marker
        ? `<DeleteMarker>${common}${owner}</DeleteMarker>`
        : `<Version>${common}<ETag>${escapeXml(String(r.etag))}</ETag><Size>${r.size}</Size>` +
            `<StorageClass>STANDARD</StorageClass>${owner}</Version>`;
    });
    const last = shown.at(-1);
    sendXml(
      res,
      200,
      `<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
        `<Name>${escapeXml(bucket)}</Name><Prefix>${escapeXml(prefix)}</Prefix>` +
        `<KeyMarker>${escapeXml(keyMarker)}</KeyMarker><VersionIdMarker>${escapeXml(versionMarker)}</VersionIdMarker>` +
        `<MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>` +
        (truncated && last
          ? `<NextKeyMarker>${escapeXml(String(last.key))}</NextKeyMarker>` +
            `<NextVersionIdMarker>${escapeXml(String(last.version_id))}</NextVersionIdMarker>`
          : '') +
        `${entries.join('')}</ListVersionsResult>`,
    );
  }
}

/** S3's version ids: 32 URL-safe characters. */
function newVersionId(): string {
  return randomBytes(24).toString('base64url');
}

/** GetObject or HeadObject of a noncurrent version (or a delete marker, which has no object). */
function serveVersion(
  req: IncomingMessage,
  res: ServerResponse,
  versionId: string,
  row: Record<string, unknown> | undefined,
) {
  if (!row)
    throw new S3Failure('NoSuchVersion', 'The specified version does not exist.', 404, {
      'x-amz-version-id': versionId,
    });
  if (row.is_delete_marker)
    throw new S3Failure(
      'MethodNotAllowed',
      'The specified method is not allowed against this resource.',
      405,
      {
        'x-amz-delete-marker': 'true',
        'x-amz-version-id': versionId,
        allow: 'DELETE',
      },
    );
  const body = Buffer.from(row.body as Uint8Array);
  const etag = String(row.etag);
  const ifMatch = req.headers['if-match'];
  if (ifMatch && ifMatch !== etag && ifMatch !== '*')
    throw new S3Failure(
      'PreconditionFailed',
      'At least one of the pre-conditions you specified did not hold',
      412,
    );
  const headers: Record<string, string> = {
    'content-type': String(row.content_type),
    etag,
    'last-modified': new Date(String(row.last_modified)).toUTCString(),
    'accept-ranges': 'bytes',
    'x-amz-version-id': versionId,
  };
  for (const [name, value] of Object.entries(JSON.parse(String(row.metadata ?? '{}'))))
    headers[`x-amz-meta-${name}`] = String(value);
  if (row.content_encoding) headers['content-encoding'] = String(row.content_encoding);
  if (row.content_disposition) headers['content-disposition'] = String(row.content_disposition);
  if (row.cache_control) headers['cache-control'] = String(row.cache_control);
  if (row.content_language) headers['content-language'] = String(row.content_language);
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  const range = byteRange(req.headers.range, body.length);
  const part = range ? body.subarray(range.start, range.end + 1) : body;
  headers['content-length'] = String(part.length);
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${body.length}`;
  res.writeHead(range ? 206 : 200, headers);
  res.end(req.method === 'HEAD' ? undefined : part);
}

/** One `bytes=` range of a body of `size` bytes, or null for the whole body. */
function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end)
    throw new S3Failure('InvalidRange', 'The requested range is not satisfiable', 416, {
      'content-range': `bytes */${size}`,
    });
  return { start, end };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
