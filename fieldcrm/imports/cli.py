"""`fieldcrm imports`: voter-file imports from the command line (thin wrappers over services)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from fieldcrm.errors import NotFound, ValidationFailed
from fieldcrm.extensions import db
from fieldcrm.imports import jobs, reading, services
from fieldcrm.imports.layouts import LAYOUTS, MAPPING_KEYS, MAPPING_OPTIONS
from fieldcrm.imports.models import ImportBatch
from fieldcrm.imports.votehistory import summary as vote_summary

group = AppGroup("imports", help="Import voter files (preview, run, resume, saved mappings).")
mappings_group = AppGroup("mappings", help="Saved column mappings for files no layout matches.")
group.add_command(mappings_group)


def _fail(reason: str) -> None:
    click.echo(f"Refused: {reason}", err=True)
    raise SystemExit(1)


def _print_summary(batch: ImportBatch) -> None:
    progress = services.progress_of(batch)
    counts = progress["counts"]
    click.echo(
        f"Import {batch.id} {progress['status']}: read {counts['read']}, "
        f"inserted {counts['inserted']}, updated {counts['updated']}, "
        f"unchanged {counts['unchanged']}, rejected {counts['rejected']}, "
        f"duplicates {counts['duplicates']}, marked not in latest file "
        f"{counts['marked_missing']}."
    )
    if (batch.detection or {}).get("history"):
        votes = vote_summary(batch.detection.get("votes"))
        click.echo(
            f"  vote history: read {votes['read']}, votes added {votes['inserted']}, "
            f"already on file {votes['existing']}, rejected {votes['rejected']}, "
            f"not votes {votes['not_votes']}."
        )
    for kind, count in sorted((batch.warnings or {}).items()):
        click.echo(f"  warning {kind}: {count}")
    if batch.error_message:
        click.echo(f"  {batch.error_message}")


def _run_with_bar(batch: ImportBatch, confirm: jobs.Confirm | None = None) -> ImportBatch:
    from fieldcrm.jobs import lower_cpu_priority

    lower_cpu_priority()
    total = batch.rows_total_estimate or 0
    with click.progressbar(length=total or 1, label="Importing", show_pos=True) as bar:
        done = [batch.rows_done]

        def step(current: ImportBatch) -> None:
            bar.update(current.rows_done - done[0])
            done[0] = current.rows_done

        result = jobs.import_batch(batch.id, on_chunk=step, confirm=confirm)
    return result or batch


def _ask_about_other_sources(source: str) -> jobs.Confirm:
    """The question asked before the first rows whose voter ids other sources hold."""

    def ask(counts: dict[str, int], where: str) -> bool:
        click.echo()
        for line in services.other_source_message(counts):
            click.echo(
                f"  Warning (from {where}): {line} Under source {source} they "
                "would be added again as separate people (--source to update them instead)."
            )
        try:
            return click.confirm(f"Import them under source {source} anyway?", default=False)
        except click.Abort:  # no answer (end of input, Ctrl-C): nothing more is written
            return False

    return ask


@group.command("voter-file")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--layout", type=click.Choice(sorted(LAYOUTS)), help="Force a built-in layout.")
@click.option(
    "--mapping",
    "mapping_name",
    help="Use a saved column mapping by name (it overrides detection for the fields it names).",
)
@click.option(
    "--date-order",
    type=click.Choice(MAPPING_OPTIONS["date_order"], case_sensitive=False),
    help="How to read 8-digit and a/b/yyyy dates (overrides the saved mapping's).",
)
@click.option(
    "--source",
    default=None,
    help="Source label (the key re-imports update by). Default: a recognised state voter "
    "file's state (nc, fl, oh); other files must name it.",
)
@click.option(
    "--full-file/--partial",
    default=False,
    show_default=True,
    help="A full file marks contacts of the source it lacks as not in latest file.",
)
@click.option("--dry-run", is_flag=True, help="Preview the impact; write nothing.")
@click.option(
    "--yes",
    "confirmed",
    is_flag=True,
    help="Import even when the file's voter ids exist under another source (no prompt).",
)
def voter_file(
    path: Path,
    layout: str | None,
    mapping_name: str | None,
    date_order: str | None,
    source: str | None,
    full_file: bool,
    dry_run: bool,
    confirmed: bool,
) -> None:
    """Import the voter file at PATH (text, .zip or .gz)."""
    if not path.is_file():
        _fail(f"{path} does not exist")
    mapping = None
    if mapping_name:
        try:
            mapping = dict(services.get_mapping(mapping_name).mapping)
        except NotFound:
            _fail(f"no saved mapping named {mapping_name!r}")
    if date_order:
        mapping = {**(mapping or {}), "date_order": date_order.upper()}
    upload_dir = services.upload_dir_for(current_app.config.get("UPLOAD_DIR"))
    stored = services.store_file(upload_dir, path)
    try:
        batch = services.create_batch(
            None, stored, path.name, source, full_file=full_file, layout=layout, mapping=mapping
        )
    except ValidationFailed as exc:
        services.discard_upload(stored, upload_dir)
        _fail(str(exc))
    if batch.status == "refused":
        db.session.commit()
        _fail(batch.error_message or "the file cannot be imported")
    if not batch.source:
        db.session.rollback()
        services.discard_upload(stored, upload_dir)
        _fail("no state layout was recognised in this file: name its source with --source")
    if dry_run:
        # Commit the batch row before reading the whole file: on SQLite an open write
        # transaction would hold the write lock (and everyone's saves) for the whole preview.
        db.session.commit()
        preview = services.preview_batch(None, batch)
        services.discard_batch(batch, upload_dir)
        db.session.commit()
        _print_preview(preview)
        return
    # One pass: the file is read once, by the run, which counts the impact as it writes
    # and asks (unless --yes) before the first rows whose voter ids other sources hold.
    _print_detection(batch)
    services.queue_batch(None, batch, confirm_other_sources=True)
    db.session.commit()
    ask = None if confirmed else _ask_about_other_sources(batch.source)
    batch_id = batch.id
    try:
        batch = _run_with_bar(batch, ask)
    except services.NotConfirmed:
        db.session.expire_all()
        batch = db.session.get(ImportBatch, batch_id)
        if batch.rows_done == 0:
            services.discard_batch(batch, upload_dir)
            db.session.commit()
            click.echo("Not imported. Nothing was written.")
        else:
            click.echo(
                f"Stopped: the first {batch.rows_done} rows were imported; import {batch_id} "
                f"is interrupted (`fieldcrm imports resume {batch_id}` imports the rest)."
            )
        raise SystemExit(1) from None
    _print_summary(batch)
    for warning in (batch.detection or {}).get("mapping_warnings", []):
        click.echo(f"  warning: {reading.describe_mapping_warning(warning)}")
    if batch.status != "completed":
        raise SystemExit(1)


def _print_detection(batch: ImportBatch) -> None:
    """How the file is read, before the run (the check's first lines, without impact)."""
    detection = services.detection_of(batch)
    _print_how_read(
        {
            "history": [{"member": h["member"], "layout": h["layout"]} for h in detection.history],
            "layout": detection.layout,
            "encoding": detection.encoding,
            "delimiter": services.delimiter_name(detection.delimiter),
            "has_header": detection.has_header,
            "members": detection.members,
            "source": batch.source,
        }
    )


def _print_how_read(preview: dict) -> None:
    for history in preview.get("history") or []:
        click.echo(f"Vote history: {history['member']} ({history['layout']})")
    click.echo(
        f"Layout {preview['layout'] or 'custom mapping'}, encoding {preview['encoding']}, "
        f"{preview['delimiter']}-separated, header {'yes' if preview['has_header'] else 'no'}, "
        f"files: {', '.join(preview['members'])}"
    )
    click.echo(f"Source {preview['source']}")


def _print_preview(preview: dict) -> None:
    _print_how_read(preview)
    for line in services.other_source_message(preview.get("other_sources") or {}):
        click.echo(
            f"  Warning: {line} Under source {preview['source']} they would be added "
            "again as separate people (--source to update them instead)."
        )
    impact = preview["impact"]
    click.echo(
        f"Impact: {impact.get('rows', 0)} rows: would insert {impact.get('insert', 0)}, "
        f"update {impact.get('update', 0)}, leave unchanged {impact.get('unchanged', 0)}, "
        f"reject {impact.get('reject', 0)}, duplicates {impact.get('duplicate', 0)}"
        + (
            f", mark not in latest file {impact['mark_missing']}"
            if "mark_missing" in impact
            else ""
        )
    )
    van = preview.get("van_matches")
    if van:
        sources = ", ".join(f"{k} {v}" for k, v in van["sources"].items())
        click.echo(
            f"VAN export: {van['matched']} people matched to contacts of other sources"
            + (f" ({sources})" if sources else "")
            + f"; not matched: {van['ambiguous']} ambiguous, {van['conflict']} taken"
        )
    for warning in preview.get("mapping_warnings", []):
        click.echo(f"  warning: {reading.describe_mapping_warning(warning)}")
    for kind, entry in preview["problems"].items():
        lines = ", ".join(entry["lines"][:10])
        click.echo(f"  {kind}: {entry['count']}" + (f" (lines {lines})" if lines else ""))
    click.echo("Mapping: " + json.dumps(preview["mapping"]))
    if preview.get("date_order"):
        click.echo(f"Date order: {preview['date_order']}")
    for row in preview["rows"]:
        click.echo(
            f"  line {row['line']}: {row.get('voter_id') or ''} "
            f"{row.get('display_name') or ''} | "
            f"{row.get('res_line1') or ''} {row.get('res_city') or ''} "
            f"{row.get('res_zip5') or ''} | {row.get('phones') or ''}"
        )


@group.command("resume")
@click.argument("batch_id", type=int)
def resume(batch_id: int) -> None:
    """Finish an interrupted import from its last committed chunk."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        _fail(f"no import {batch_id}")
    if not services.can_resume(batch):
        _fail(f"import {batch_id} is {services.effective_status(batch)}, not interrupted")
    services.queue_batch(None, batch)
    db.session.commit()
    batch = _run_with_bar(batch)
    _print_summary(batch)
    if batch.status != "completed":
        raise SystemExit(1)


@group.command("purge-uploads")
def purge_uploads() -> None:
    """Delete stored uploads past their keep time (UPLOAD_KEEP_DAYS, REFUSED_UPLOAD_KEEP_HOURS).

    Run it daily (cron, a systemd timer); the upload page also runs it after each upload.
    """
    from fieldcrm.imports import retention

    done = retention.purge_configured(current_app.config)
    db.session.commit()
    click.echo(
        f"Deleted the files of {done.batches} imports and {done.orphans} stray uploads "
        f"({done.bytes / (1024 * 1024):.1f} MB)."
    )


@mappings_group.command("save")
@click.argument("name")
@click.option(
    "--from-json",
    "json_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='A JSON object: canonical field -> column name, e.g. {"voter_id": "ID"}.',
)
@click.option(
    "--date-order",
    type=click.Choice(MAPPING_OPTIONS["date_order"], case_sensitive=False),
    help="Store how to read 8-digit and a/b/yyyy dates with the mapping.",
)
def save_mapping(name: str, json_path: Path, date_order: str | None) -> None:
    """Save a column mapping as NAME (replacing one of the same name).

    Valid fields: see `fieldcrm imports mappings fields`.
    """
    try:
        mapping = json.loads(json_path.read_text(encoding="utf-8"))
        if date_order and isinstance(mapping, dict):
            mapping["date_order"] = date_order.upper()
        services.save_mapping(None, name, mapping)
    except (ValueError, ValidationFailed) as exc:
        _fail(str(exc))
    db.session.commit()
    click.echo(f"Saved mapping {name}.")


@mappings_group.command("fields")
def list_fields() -> None:
    """Print the field names a mapping may use, one a line."""
    for key in MAPPING_KEYS:
        choices = MAPPING_OPTIONS.get(key)
        click.echo(f"{key} (option: {' | '.join(choices)})" if choices else key)


@mappings_group.command("list")
def list_mappings() -> None:
    """List saved mappings."""
    for saved in services.list_mappings():
        click.echo(f"{saved.name}: {json.dumps(saved.mapping)}")
