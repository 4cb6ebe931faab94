import type { SecretsAction } from '../service.ts';

export const GetSecretValue: SecretsAction = (input, store) => {
  const secret = store.get(String(input.SecretId ?? ''));
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: secret.versionId,
    SecretString: secret.secretString,
    VersionStages: ['AWSCURRENT'],
    CreatedDate: secret.createdDate,
  };
};
