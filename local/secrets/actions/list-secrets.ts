import type { SecretsAction } from '../service.ts';
import { describeSecret } from './describe-secret.ts';

export const ListSecrets: SecretsAction = (_input, store) => ({
  SecretList: store.all().map(describeSecret),
});
