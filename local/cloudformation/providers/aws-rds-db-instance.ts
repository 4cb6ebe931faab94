import { physicalName } from '../names.ts';
import type { ResourceProvider } from '../provider.ts';
import { resourceArn as arn, UnsupportedResourceError } from '../provider.ts';

export const awsRdsDbInstance: ResourceProvider = {
  type: 'AWS::RDS::DBInstance',
  async create(id, props, previous, s) {
    if (props.Engine !== 'postgres') {
      throw new UnsupportedResourceError(
        `DB instance ${id} has engine ${String(props.Engine)}; the embedded cloud runs postgres`,
      );
    }
    s.progress(`starting PostgreSQL for ${id}`);
    const { host, port } = await s.database.ensure({
      user: String(props.MasterUsername ?? 'postgres'),
      password: String(props.MasterUserPassword ?? 'postgres'),
      database: String(props.DBName ?? 'postgres'),
      // The port the secret names, kept from the last run.
      port: previous ? Number(previous.attributes['Endpoint.Port']) : undefined,
    });
    const identifier = previous?.physicalId ?? physicalName(s.stackName, id, 63, true);
    return {
      physicalId: identifier,
      attributes: {
        'Endpoint.Address': host,
        'Endpoint.Port': String(port),
        DBInstanceArn: arn(s, 'rds', `db:${identifier}`),
      },
    };
  },
};
