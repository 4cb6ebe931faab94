import type { SecretsAction } from '../service.ts';
import type { StoredSecret } from '../store.ts';

export function describeSecret(s: StoredSecret) {
  return { ARN: s.arn, Name: s.name, CreatedDate: s.createdDate };
}

export const DescribeSecret: SecretsAction = (input, store) =>
  describeSecret(store.get(String(input.SecretId ?? '')));
