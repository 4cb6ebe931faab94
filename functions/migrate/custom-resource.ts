import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

export const PHYSICAL_ID = 'shopstream-database-migrations';

export interface CustomResourceResult {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly reason?: string;
  readonly data?: Record<string, string | number>;
}

/**
 * The response CloudFormation waits for, PUT to the pre-signed ResponseURL. Written here
 * because the AWS `cfn-response` module exists only for inline code; this is the same few
 * lines, on fetch.
 */
export async function sendCustomResourceResponse(
  event: CloudFormationCustomResourceEvent,
  logStreamName: string,
  result: CustomResourceResult,
): Promise<void> {
  const body = JSON.stringify({
    Status: result.status,
    Reason: result.reason ?? `See CloudWatch log stream ${logStreamName}`,
    PhysicalResourceId: 'PhysicalResourceId' in event ? event.PhysicalResourceId : PHYSICAL_ID,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: false,
    Data: result.data ?? {},
  });
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    // The URL is signed for an empty content type.
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
  if (!response.ok) {
    throw new Error(`CloudFormation response was refused: HTTP ${response.status}`);
  }
}
