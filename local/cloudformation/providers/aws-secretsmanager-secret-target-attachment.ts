import type { ResourceProvider } from '../provider.ts';
import { UnsupportedResourceError } from '../provider.ts';

export const awsSecretsmanagerSecretTargetAttachment: ResourceProvider = {
  type: 'AWS::SecretsManager::SecretTargetAttachment',
  async create(_id, props, _previous, s) {
    const secretArn = String(props.SecretId);
    if (props.TargetType !== 'AWS::RDS::DBInstance') {
      throw new UnsupportedResourceError(
        `secret target type ${String(props.TargetType)} is not run by the embedded cloud`,
      );
    }
    const target = Object.values(s.deployed).find((r) => r.physicalId === props.TargetId);
    if (!target) throw new Error(`secret target ${String(props.TargetId)} is not deployed`);
    const secret = s.secrets.get(secretArn);
    const current = JSON.parse(secret.secretString) as Record<string, unknown>;
    s.secrets.update(
      secret.arn,
      JSON.stringify({
        ...current,
        engine: 'postgres',
        host: target.attributes['Endpoint.Address'],
        port: Number(target.attributes['Endpoint.Port']),
        dbInstanceIdentifier: target.physicalId,
      }),
    );
    return { physicalId: secret.arn };
  },
};
