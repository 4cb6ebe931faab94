/** Base of every failure the migration runner reports; a deploy stops on any of them. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** An applied migration's file changed: history must not be rewritten, add a new file. */
export class EditedMigrationError extends MigrationError {
  override name = 'EditedMigrationError';
}

/** The database has a migration that the sql/ folder no longer has. */
export class MissingMigrationError extends MigrationError {
  override name = 'MissingMigrationError';
}

/** A new file sorts before one already applied, so the order on disk is not the order run. */
export class OutOfOrderMigrationError extends MigrationError {
  override name = 'OutOfOrderMigrationError';
}

/** A file name that does not follow `NNNN_description.sql`. */
export class InvalidMigrationNameError extends MigrationError {
  override name = 'InvalidMigrationNameError';
}
