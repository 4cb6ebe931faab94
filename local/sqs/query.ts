import type { IncomingMessage } from 'node:http';
import { AwsError } from '../aws/errors.ts';
import type { FauxqsApp } from '../aws/fauxqs.ts';
import { escapeXml, type QueryAction, Xml } from '../aws/query-protocol.ts';
import type { Service } from '../registry.ts';

/**
 * SQS's query protocol (form-encoded `Action=ListQueues`, XML answers), which AWS still serves
 * and which AWS CLIs and SDKs from before 2024 speak (Debian 12's awscli 2.9 among them). Each
 * request is translated to the JSON protocol, answered by the same endpoint (fauxqs, and the
 * move tasks registered beside it), and the answer translated back, following the shapes of
 * SQS's query model: flattened lists and maps, `AWS.SimpleQueueService.*` error codes.
 */
export function sqsQueryService(fauxqs: FauxqsApp): Service {
  const forward: QueryAction = (params, req) => callJson(fauxqs, params, req);
  return {
    name: 'SQS (query protocol)',
    query: {
      signingName: 'sqs',
      namespace: 'http://queue.amazonaws.com/doc/2012-11-05/',
      actions: Object.fromEntries(SQS_ACTIONS.map((action) => [action, forward])),
    },
  };
}

const SQS_ACTIONS = [
  'AddPermission',
  'CancelMessageMoveTask',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
  'CreateQueue',
  'DeleteMessage',
  'DeleteMessageBatch',
  'DeleteQueue',
  'GetQueueAttributes',
  'GetQueueUrl',
  'ListDeadLetterSourceQueues',
  'ListMessageMoveTasks',
  'ListQueueTags',
  'ListQueues',
  'PurgeQueue',
  'ReceiveMessage',
  'RemovePermission',
  'SendMessage',
  'SendMessageBatch',
  'SetQueueAttributes',
  'StartMessageMoveTask',
  'TagQueue',
  'UntagQueue',
];

/** Flattened lists in a request: `AttributeName.1=All` is `AttributeNames: ['All']`. */
const LISTS: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
  TagKey: 'TagKeys',
  AWSAccountId: 'AWSAccountIds',
  ActionName: 'Actions',
};
/** Flattened maps in a request: `Attribute.1.Name=X&Attribute.1.Value=Y` is `{ X: Y }`. */
const MAPS: Record<string, [member: string, key: string, value: string]> = {
  Attribute: ['Attributes', 'Name', 'Value'],
  Tag: ['Tags', 'Key', 'Value'],
  MessageAttribute: ['MessageAttributes', 'Name', 'Value'],
  MessageSystemAttribute: ['MessageSystemAttributes', 'Name', 'Value'],
};
const ENTRIES = new Set([
  'SendMessageBatchRequestEntry',
  'DeleteMessageBatchRequestEntry',
  'ChangeMessageVisibilityBatchRequestEntry',
]);
const NUMBERS = new Set([
  'MaxNumberOfMessages',
  'WaitTimeSeconds',
  'VisibilityTimeout',
  'DelaySeconds',
  'MaxResults',
  'MaxNumberOfMessagesPerSecond',
]);

type Tree = { [key: string]: Tree | string };

/** The form's dotted names as a tree: `A.1.B=x` is `{ A: { 1: { B: 'x' } } }`. */
function treeOf(params: URLSearchParams): Tree {
  const root: Tree = {};
  for (const [name, value] of params) {
    if (name === 'Action' || name === 'Version') continue;
    const path = name.split('.');
    let node = root;
    for (const [i, part] of path.entries()) {
      if (i === path.length - 1) node[part] = value;
      else {
        if (typeof node[part] !== 'object') node[part] = {};
        node = node[part] as Tree;
      }
    }
  }
  return root;
}

const indexed = (node: Tree | string): (Tree | string)[] =>
  typeof node === 'string'
    ? [node]
    : Object.entries(node)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([, v]) => v);

/** A request's form as the JSON protocol's input. */
export function jsonInput(action: string, params: URLSearchParams): Record<string, unknown> {
  const convert = (tree: Tree): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(tree)) {
      const list = LISTS[key];
      const map = MAPS[key];
      if (list) out[list] = indexed(value);
      else if (map) {
        const [member, k, v] = map;
        // CreateQueue names its tags in lower case, TagQueue in upper.
        const name = key === 'Tag' && action === 'CreateQueue' ? 'tags' : member;
        out[name] = Object.fromEntries(
          indexed(value).map((entry) => {
            const e = entry as Tree;
            const item = e[v] as Tree | string;
            return [e[k], typeof item === 'string' ? item : convert(item)];
          }),
        );
      } else if (ENTRIES.has(key)) out.Entries = indexed(value).map((e) => convert(e as Tree));
      else if (typeof value === 'string') out[key] = NUMBERS.has(key) ? Number(value) : value;
      else out[key] = convert(value);
    }
    return out;
  };
  return convert(treeOf(params));
}

/** Flattened lists in an answer, by their JSON member: the element each item becomes. */
function listElement(action: string, member: string): string | undefined {
  if (member === 'QueueUrls' || member === 'queueUrls') return 'QueueUrl';
  if (member === 'Messages') return 'Message';
  if (member === 'Successful') return `${action}ResultEntry`;
  if (member === 'Failed') return 'BatchResultErrorEntry';
  if (member === 'Results') return 'ListMessageMoveTasksResultEntry';
  return undefined;
}
const OUT_MAPS: Record<string, [element: string, key: string, value: string]> = {
  Attributes: ['Attribute', 'Name', 'Value'],
  MessageAttributes: ['MessageAttribute', 'Name', 'Value'],
  Tags: ['Tag', 'Key', 'Value'],
};

/** A JSON-protocol answer as the query protocol's result XML. */
export function xmlResult(action: string, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return escapeXml(String(value));
  return Object.entries(value as Record<string, unknown>)
    .map(([key, v]) => {
      const element = listElement(action, key);
      if (element && Array.isArray(v))
        return v.map((item) => `<${element}>${xmlResult(action, item)}</${element}>`).join('');
      const map = OUT_MAPS[key];
      if (map && v && typeof v === 'object') {
        const [el, k, val] = map;
        return Object.entries(v as Record<string, unknown>)
          .map(
            ([name, item]) =>
              `<${el}><${k}>${escapeXml(name)}</${k}><${val}>${xmlResult(action, item)}</${val}></${el}>`,
          )
          .join('');
      }
      return `<${key}>${xmlResult(action, v)}</${key}>`;
    })
    .join('');
}

async function callJson(
  fauxqs: FauxqsApp,
  params: URLSearchParams,
  req: IncomingMessage,
): Promise<Xml> {
  const action = params.get('Action') as string;
  const response = await fauxqs.app.inject({
    method: 'POST',
    url: '/',
    headers: {
      host: req.headers.host ?? '127.0.0.1',
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `AmazonSQS.${action}`,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    },
    payload: JSON.stringify(jsonInput(action, params)),
  });
  const body = response.body ? (JSON.parse(response.body) as Record<string, unknown>) : {};
  if (response.statusCode >= 400) {
    // fauxqs names the query protocol's code in x-amzn-query-error, as SQS does.
    const queryError = String(response.headers['x-amzn-query-error'] ?? '').split(';')[0];
    const code = queryError || String(body.__type ?? 'InternalFailure').replace(/^.*#/, '');
    throw new AwsError(code, String(body.message ?? body.Message ?? ''), response.statusCode);
  }
  return new Xml(xmlResult(action, body));
}
