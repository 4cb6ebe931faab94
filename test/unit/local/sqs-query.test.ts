import { describe, expect, it } from 'vitest';
import { jsonInput, xmlResult } from '../../../local/sqs/query.ts';

describe("SQS's query protocol translated to and from its JSON protocol", () => {
  it('turns flattened lists, maps and batch entries into JSON input', () => {
    const form = new URLSearchParams(
      'Action=SendMessageBatch&Version=2012-11-05&QueueUrl=http%3A%2F%2Fq' +
        '&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=two' +
        '&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one' +
        '&SendMessageBatchRequestEntry.1.DelaySeconds=5' +
        '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=k' +
        '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v' +
        '&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String',
    );
    expect(jsonInput('SendMessageBatch', form)).toEqual({
      QueueUrl: 'http://q',
      Entries: [
        {
          Id: 'a',
          MessageBody: 'one',
          DelaySeconds: 5,
          MessageAttributes: { k: { StringValue: 'v', DataType: 'String' } },
        },
        { Id: 'b', MessageBody: 'two' },
      ],
    });
    expect(
      jsonInput(
        'CreateQueue',
        new URLSearchParams(
          'QueueName=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=40&Tag.1.Key=team&Tag.1.Value=data',
        ),
      ),
    ).toEqual({ QueueName: 'q', Attributes: { VisibilityTimeout: '40' }, tags: { team: 'data' } });
    expect(
      jsonInput(
        'ReceiveMessage',
        new URLSearchParams('QueueUrl=u&AttributeName.1=All&MaxNumberOfMessages=10'),
      ),
    ).toEqual({ QueueUrl: 'u', AttributeNames: ['All'], MaxNumberOfMessages: 10 });
  });

  it('answers with flattened lists and maps, as the query model has them', () => {
    expect(xmlResult('ListQueues', { QueueUrls: ['a', 'b&c'] })).toBe(
      '<QueueUrl>a</QueueUrl><QueueUrl>b&amp;c</QueueUrl>',
    );
    expect(
      xmlResult('ReceiveMessage', {
        Messages: [
          {
            MessageId: 'm',
            Attributes: { SenderId: 'x' },
            MessageAttributes: { k: { StringValue: 'v', DataType: 'String' } },
          },
        ],
      }),
    ).toBe(
      '<Message><MessageId>m</MessageId><Attribute><Name>SenderId</Name><Value>x</Value></Attribute>' +
        '<MessageAttribute><Name>k</Name><Value><StringValue>v</StringValue><DataType>String</DataType></Value></MessageAttribute></Message>',
    );
    expect(xmlResult('DeleteMessageBatch', { Successful: [{ Id: '1' }], Failed: [] })).toBe(
      '<DeleteMessageBatchResultEntry><Id>1</Id></DeleteMessageBatchResultEntry>',
    );
  });
});
