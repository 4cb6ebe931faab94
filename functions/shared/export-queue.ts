import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** The body of an exports-queue message: one committed file to write to the lake and stream. */
export interface ExportRequest {
  readonly fileId: string;
}

export class ExportRequestError extends Error {
  override name = 'ExportRequestError';
}

export function parseExportRequest(body: string): ExportRequest {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new ExportRequestError('not JSON');
  }
  const fileId = (value as { fileId?: unknown } | null)?.fileId;
  if (typeof fileId !== 'string' || !/^\d{1,18}$/.test(fileId)) {
    throw new ExportRequestError('fileId must be a file id of the ledger');
  }
  return { fileId };
}

/** SendMessageBatch to the exports queue, ten file ids a call; any entry that fails throws. */
export class SqsExportQueue {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;

  constructor(sqs: SQSClient, queueUrl: string) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
  }

  async send(fileIds: readonly string[]): Promise<void> {
    for (let i = 0; i < fileIds.length; i += 10) {
      const chunk = fileIds.slice(i, i + 10);
      const out = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: chunk.map((fileId) => ({
            Id: fileId,
            MessageBody: JSON.stringify({ fileId } satisfies ExportRequest),
          })),
        }),
      );
      if (out.Failed?.length) {
        throw new Error(
          `exports queue refused ${out.Failed.length} of ${chunk.length} messages: ${out.Failed[0]?.Code}`,
        );
      }
    }
  }
}
