import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../aws/json-protocol.ts';
import type { LambdaService } from '../lambda/service.ts';
import type { Service } from '../registry.ts';

export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId?: string;
  readonly Data?: Record<string, unknown>;
}

const PATH = '/_shopstream/cloudformation-response/';

/**
 * Runs custom resources the way CloudFormation does: a real custom-resource event to the
 * service-token function, with a response URL this cloud serves, and waits for the PUT.
 */
export class CustomResources {
  private readonly waiting = new Map<string, (response: CustomResourceResponse) => void>();
  private readonly endpoint: string;
  private readonly lambda: LambdaService;

  constructor(endpoint: string, lambda: LambdaService) {
    this.endpoint = endpoint;
    this.lambda = lambda;
  }

  /** The route that receives custom resources' responses (the ResponseURL's PUT). */
  route(): Service {
    return {
      name: 'CloudFormation custom resource responses',
      rest: {
        pathPrefix: PATH,
        handle: async (req, res) => {
          if (!(await this.handleResponse(req, res))) {
            res.statusCode = 404;
            res.end();
          }
        },
      },
    };
  }

  async handleResponse(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = req.url ?? '';
    if (!url.startsWith(PATH) || req.method !== 'PUT') return false;
    const token = url.slice(PATH.length).split('?')[0] as string;
    const body = JSON.parse((await readBody(req)).toString('utf8')) as CustomResourceResponse;
    const resolve = this.waiting.get(token);
    res.statusCode = resolve ? 200 : 404;
    res.end();
    resolve?.(body);
    return true;
  }

  async run(
    serviceToken: string,
    request: {
      requestType: 'Create' | 'Update' | 'Delete';
      stackId: string;
      logicalId: string;
      resourceType: string;
      physicalId?: string;
      properties: Record<string, unknown>;
      oldProperties?: Record<string, unknown>;
    },
  ): Promise<CustomResourceResponse> {
    const token = crypto.randomUUID();
    const response = new Promise<CustomResourceResponse>((resolve) =>
      this.waiting.set(token, resolve),
    );
    const event = {
      RequestType: request.requestType,
      ServiceToken: serviceToken,
      ResponseURL: `${this.endpoint}${PATH}${token}?X-Amz-Signature=local`,
      StackId: request.stackId,
      RequestId: crypto.randomUUID(),
      LogicalResourceId: request.logicalId,
      ResourceType: request.resourceType,
      ResourceProperties: { ServiceToken: serviceToken, ...request.properties },
      ...(request.physicalId ? { PhysicalResourceId: request.physicalId } : {}),
      ...(request.oldProperties
        ? { OldResourceProperties: { ServiceToken: serviceToken, ...request.oldProperties } }
        : {}),
    };
    try {
      const result = await this.lambda.invoke(serviceToken, event);
      const timeout = new Promise<CustomResourceResponse>((resolve) =>
        setTimeout(
          () =>
            resolve({
              Status: 'FAILED',
              Reason: result.error
                ? `${result.error.errorType}: ${result.error.errorMessage}`
                : 'the function returned without answering the response URL',
            }),
          2_000,
        ),
      );
      return await Promise.race([response, timeout]);
    } finally {
      this.waiting.delete(token);
    }
  }
}
