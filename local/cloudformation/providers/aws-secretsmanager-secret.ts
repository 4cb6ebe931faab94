import { generatePassword } from '../../secrets/store.ts';
import { physicalName } from '../names.ts';
import type { ResourceProvider } from '../provider.ts';

export const awsSecretsmanagerSecret: ResourceProvider = {
  type: 'AWS::SecretsManager::Secret',
  async create(id, props, previous, s) {
    if (previous) {
      if (typeof props.SecretString === 'string')
        s.secrets.update(previous.physicalId, props.SecretString);
      return { physicalId: previous.physicalId, attributes: previous.attributes };
    }
    const name = (props.Name as string | undefined) ?? physicalName('', id, 40).replace(/^-/, '');
    let value = props.SecretString as string | undefined;
    if (value === undefined) {
      const spec = (props.GenerateSecretString ?? {}) as Record<string, unknown>;
      const password = generatePassword(
        Number(spec.PasswordLength ?? 32),
        String(spec.ExcludeCharacters ?? ''),
        spec.ExcludePunctuation === true,
      );
      value = spec.GenerateStringKey
        ? JSON.stringify({
            ...JSON.parse(String(spec.SecretStringTemplate ?? '{}')),
            [String(spec.GenerateStringKey)]: password,
          })
        : password;
    }
    const secret = s.secrets.create(name, value);
    return { physicalId: secret.arn, attributes: { Id: secret.arn } };
  },
};
