import { bindActions, type Service } from '../registry.ts';
import { DescribeSecret } from './actions/describe-secret.ts';
import { GetRandomPassword } from './actions/get-random-password.ts';
import { GetSecretValue } from './actions/get-secret-value.ts';
import { ListSecrets } from './actions/list-secrets.ts';
import type { SecretStore } from './store.ts';

export type SecretsAction = (input: Record<string, unknown>, store: SecretStore) => unknown;

/** The actions served, one file each: adding one is a file and a line here. */
const ACTIONS: Record<string, SecretsAction> = {
  GetSecretValue,
  DescribeSecret,
  ListSecrets,
  GetRandomPassword,
};

/** Secrets Manager (JSON protocol, X-Amz-Target: secretsmanager.<Action>). */
export function secretsService(store: SecretStore): Service {
  const actions = bindActions(ACTIONS, store);
  return { name: 'Secrets Manager', json: { targetPrefix: 'secretsmanager', actions } };
}
