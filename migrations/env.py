import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives
    conf_args.setdefault("render_item", render_item)

    # Steps applied upward in this run (see install_defaults below).
    upgraded = []

    def note_upgrade(ctx, step, heads, run_args):
        if step.is_upgrade:
            upgraded.append(step)
        if ctx.connection.dialect.name == "sqlite":
            # A SQLite batch migration rebuilds a table (copy, drop, rename), which a trigger
            # naming it breaks: the rollup triggers are off between steps (see below).
            from fieldcrm.rollups import ddl

            ddl.drop(ctx.connection)

    conf_args["on_version_apply"] = note_upgrade

    connectable = get_engine()

    with connectable.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch migrations rebuild SQLite tables (copy, drop, rename). With foreign
            # keys on, dropping the old table would cascade deletes into child tables;
            # turn them off for the migration and check integrity afterwards.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        rollups_off = connection.dialect.name == "sqlite" and set(
            context.get_context().get_current_heads()
        ) != set(context.script.get_heads())
        if rollups_off:
            drop_rollup_triggers(connection)

        with context.begin_transaction():
            context.run_migrations()

        if rollups_off:
            reinstall_rollups(connection)
        if connection.dialect.name == "sqlite":
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"foreign key check failed after migration: {problems[:5]}")
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        at_head = set(context.get_context().get_current_heads()) == set(context.script.get_heads())

    if upgraded and at_head:
        install_defaults()


def drop_rollup_triggers(connection):
    """SQLite: a batch migration rebuilds a table (copy, drop, rename), which a trigger that
    names the table breaks; the rollup triggers (fieldcrm.rollups) are off while steps run,
    before the first and after each (a step may install them), and put back at the end."""
    from fieldcrm.rollups import ddl

    ddl.drop(connection)


def reinstall_rollups(connection):
    """SQLite: put back the rollup triggers dropped for the run, and recount the turfs (a
    step may have written contacts meanwhile), when the schema has the rollups."""
    import sqlalchemy as sa

    from fieldcrm.rollups import ddl, maintain

    if sa.inspect(connection).has_table("turf_people"):
        ddl.install(connection)
        maintain.rebuild(connection)
    connection.commit()


def install_defaults():
    """After an upgrade to the latest schema, give a new program its default result codes,
    issues, kinds of ask and commitment, and ladder (fieldcrm.defaults: idempotent, never
    changes what admins edited). Runs after the migration's transaction, in its own."""
    from fieldcrm.defaults import install_defaults as install

    install(current_app.config.get("BABEL_DEFAULT_LOCALE") or "en")
    target_db.session.commit()
    target_db.session.remove()


def render_item(type_, obj, autogen_context):
    """Render the app's UTCDateTime as a plain timezone-aware DateTime in migrations."""
    if type_ == "type" and obj.__class__.__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
