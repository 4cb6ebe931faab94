import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Why a message went to the dead-letter queue, and which message it was. */
export interface DeadLetter {
  readonly body: string;
  readonly reason: string;
  readonly sourceMessageId: string;
  readonly receiveCount: number;
}

/** Where a message that can never succeed goes at once, instead of being retried. */
export interface DeadLetters {
  send(letter: DeadLetter): Promise<void>;
}

/** The message attribute that carries the reason, as the console and the CLI show it. */
export const REASON_ATTRIBUTE = 'ShopstreamFailure';

/** SendMessage to the ingest queue's dead-letter queue, the reason as a message attribute. */
export class SqsDeadLetters implements DeadLetters {
  private readonly sqs: SQSClient;
  private readonly queueUrl: string;

  constructor(sqs: SQSClient, queueUrl: string) {
    this.sqs = sqs;
    this.queueUrl = queueUrl;
  }

  async send(letter: DeadLetter): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: letter.body,
        MessageAttributes: {
          [REASON_ATTRIBUTE]: { DataType: 'String', StringValue: letter.reason },
          SourceMessageId: { DataType: 'String', StringValue: letter.sourceMessageId },
          ReceiveCount: { DataType: 'Number', StringValue: String(letter.receiveCount) },
        },
      }),
    );
  }
}
