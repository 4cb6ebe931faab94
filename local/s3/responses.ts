import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { escapeXml } from '../aws/query-protocol.ts';

/** An S3 error, answered in S3's XML error format. */
export class S3Failure extends Error {
  readonly code: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(code: string, message: string, status: number, headers = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.headers = headers;
  }
}

export function sendXml(res: ServerResponse, status: number, xml: string) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  res
    .writeHead(status, {
      'content-type': 'application/xml',
      'content-length': String(Buffer.byteLength(body)),
    })
    .end(body);
}

export function sendError(res: ServerResponse, error: Error, resource: string) {
  const e = error instanceof S3Failure ? error : new S3Failure('InternalError', error.message, 500);
  if (res.req?.method === 'HEAD') {
    res.writeHead(e.status, e.headers).end();
    return;
  }
  res.setHeader('content-type', 'application/xml');
  for (const [name, value] of Object.entries(e.headers)) res.setHeader(name, value);
  sendXml(
    res,
    e.status,
    `<Error><Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message>` +
      `<Resource>${escapeXml(resource)}</Resource><RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`,
  );
}
