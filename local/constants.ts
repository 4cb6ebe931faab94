/** The embedded cloud's fixed identity: every ARN, queue URL and client uses these. */
export const ACCOUNT_ID = '000000000000';
export const DEFAULT_REGION = 'us-east-1';
/** The endpoint's port when none is given: LocalStack's, so habits carry over. */
export const DEFAULT_PORT = 4566;
/** Any credentials are accepted; these are the ones the project's clients send. */
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
