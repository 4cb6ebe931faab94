import type { ClientBase } from 'pg';

/** The group role sql/0007_writer_role.sql grants ingest's privileges to. */
export const WRITER_ROLE = 'shopstream_writer';

/**
 * Makes `username` a login role with `password`, a member of the writer role and nothing more:
 * created the first time, its password set again on every run (the secret is the truth).
 * Role names and passwords cannot be query parameters in PostgreSQL, so both are escaped.
 */
export async function ensureWriterLogin(
  client: ClientBase,
  login: { readonly username: string; readonly password: string },
): Promise<'created' | 'updated'> {
  const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
  if (rows[0]?.user === login.username)
    throw new Error(
      `the ingest secret names the master user "${login.username}": it needs a role of its own`,
    );
  const role = client.escapeIdentifier(login.username);
  const password = client.escapeLiteral(login.password);
  const { rowCount } = await client.query('SELECT FROM pg_roles WHERE rolname = $1', [
    login.username,
  ]);
  if (rowCount === 0) {
    await client.query(
      `CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${password}`,
    );
  } else {
    await client.query(
      `ALTER ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${password}`,
    );
  }
  await client.query(`GRANT ${WRITER_ROLE} TO ${role}`);
  return rowCount === 0 ? 'created' : 'updated';
}
