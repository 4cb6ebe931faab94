import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ServiceRegistry } from '../../../local/registry.ts';

const request = (headers: Record<string, string>, url = '/') =>
  ({ headers, url, method: 'POST' }) as unknown as IncomingMessage;
const signed = (service: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=test/20261201/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=x`,
  'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
});

function registry() {
  return new ServiceRegistry()
    .register({ name: 'logs', json: { targetPrefix: 'Logs_20140328', actions: { A: () => ({}) } } })
    .register({
      name: 'sqs extras',
      json: { targetPrefix: 'AmazonSQS', actions: { Extra: () => ({}) }, extends: true },
    })
    .register({
      name: 'cloudformation',
      query: {
        signingName: 'cloudformation',
        namespace: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
        actions: { DescribeStacks: () => ({ Stacks: [{ StackName: 's', Tags: [] }] }) },
      },
    })
    .register({
      name: 'lambda',
      rest: { pathPrefix: '/2015-03-31/functions', handle: async () => {} },
    });
}

describe('the service registry', () => {
  it('routes by protocol and leaves what it does not serve to fauxqs', () => {
    const r = registry();
    expect(r.route(request({ 'x-amz-target': 'Logs_20140328.A' }))).not.toBeNull();
    // A registered JSON service answers every action, the unknown ones with an error.
    expect(r.route(request({ 'x-amz-target': 'Logs_20140328.Nope' }))).not.toBeNull();
    // An extension of a fauxqs service takes only its own actions.
    expect(r.route(request({ 'x-amz-target': 'AmazonSQS.Extra' }))).not.toBeNull();
    expect(r.route(request({ 'x-amz-target': 'AmazonSQS.SendMessage' }))).toBeNull();
    expect(r.route(request(signed('cloudformation')))).not.toBeNull();
    expect(r.route(request(signed('sns')))).toBeNull();
    expect(r.route(request({}, '/2015-03-31/functions/f/invocations'))).not.toBeNull();
    expect(r.route(request({}, '/some-bucket/key'))).toBeNull();
  });

  it('answers the query protocol in XML, and an unknown action in its error format', async () => {
    const r = registry();
    const server = createServer((req, res) => {
      const handle = r.route(req);
      if (handle) void handle(req, res);
      else res.end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const ok = await fetch(url, {
        method: 'POST',
        headers: signed('cloudformation'),
        body: 'Action=DescribeStacks&Version=2010-05-15',
      });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain(
        '<DescribeStacksResult><Stacks><member><StackName>s</StackName><Tags></Tags></member></Stacks></DescribeStacksResult>',
      );
      const unknown = await fetch(url, {
        method: 'POST',
        headers: signed('cloudformation'),
        body: 'Action=CreateStack&Version=2010-05-15',
      });
      expect(unknown.status).toBe(400);
      expect(await unknown.text()).toMatch(
        /<Code>InvalidAction<\/Code><Message>CreateStack is not served by the embedded cloud<\/Message>/,
      );
    } finally {
      server.close();
    }
  });
});
