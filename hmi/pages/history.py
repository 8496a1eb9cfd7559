"""The history page: events, alarms, oil starts, operator actions — filtered, searched, exported.

Queries and exports go through :class:`~chaufferie.hmi.history.HmiHistory` (the historian):
the page only builds an :class:`EventQuery` from the filters and shows the records; CSV and
XML files are made by the historian and handed to the browser as downloads.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from nicegui import ui

from chaufferie.hmi import format as fmt
from chaufferie.hmi.i18n import tr
from chaufferie.hmi.pages.frame import PageContext, attempt, hmi_page
from chaufferie.hmi.records import EventQuery, ExportFormat, HistoryRecord, RecordKind
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.texts import TEXTS

COLUMNS = ("time", "kind", "what", "detail", "user", "channel")


def parse_day(text: str | None, default: date) -> date:
    """A ``YYYY-MM-DD`` from a date input, or ``default`` when empty or malformed."""
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Local (Europe/Paris) days from ``start`` 00:00 to the end of ``end``."""
    first = datetime.combine(start, time(0), fmt.PARIS)
    last = datetime.combine(end, time(0), fmt.PARIS) + timedelta(days=1)
    return first, last


def detail_label(detail: str, lang: str) -> str:
    """A record's detail in words when it is a catalogued event or action code
    (``oil_started (replacement)`` → ``démarrage fioul (RELÈVE)``), else as it is."""
    code, _, rest = detail.partition(" ")
    for prefix in ("event", "action"):
        if f"{prefix}.{code}" in TEXTS:
            role = rest.strip("()")
            suffix = f" ({tr(f'oil.{role}', lang)})" if f"oil.{role}" in TEXTS else f" {rest}" if rest else ""
            return tr(f"{prefix}.{code}", lang) + suffix
    return detail


def table_row(ctx: PageContext, r: HistoryRecord) -> dict[str, str]:
    what = r.what if r.priority is None else f"P{r.priority} {r.what}"
    return {
        "time": fmt.local_time(r.time),
        "kind": ctx.t(f"kind.{r.kind.value}"),
        "what": what,
        "detail": detail_label(r.detail, ctx.lang),
        "user": r.user or "",
        "channel": r.channel or "",
    }


class HistoryFilters:
    """The filter widgets and the query they make."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        today = ctx.services.clock.now().astimezone(fmt.PARIS).date()
        with ui.row().classes("w-full items-end gap-2 flex-wrap"):
            self.start = (
                ui.input(ctx.t("hist.from"), value=(today - timedelta(days=7)).isoformat())
                .props(f'type=date aria-label="{ctx.t("hist.from")}"')
                .mark("hist-from")
            )
            self.end = (
                ui.input(ctx.t("hist.to"), value=today.isoformat())
                .props(f'type=date aria-label="{ctx.t("hist.to")}"')
                .mark("hist-to")
            )
            self.kinds = (
                ui.select(
                    {k.value: ctx.t(f"kind.{k.value}") for k in RecordKind},
                    multiple=True,
                    label=ctx.t("hist.kinds"),
                    value=[],
                )
                .classes("min-w-[200px]")
                .props(f'use-chips aria-label="{ctx.t("hist.kinds")}"')
                .mark("hist-kinds")
            )
            self.text = (
                ui.input(ctx.t("hist.text"))
                .props(f'aria-label="{ctx.t("hist.text")}" clearable')
                .mark("hist-text")
            )
            self.code = (
                ui.input(ctx.t("hist.code")).props(f'aria-label="{ctx.t("hist.code")}"').mark("hist-code")
            )
            priorities = {0: ctx.t("hist.all"), **{p: ctx.t(f"prio.{p}") for p in (1, 2, 3)}}
            self.priority = (
                ui.select(priorities, value=0, label=ctx.t("alarms.priority"))
                .classes("min-w-[140px]")
                .props(f'aria-label="{ctx.t("alarms.priority")}"')
                .mark("hist-priority")
            )
            self.user = ui.input(ctx.t("hist.col.user")).props(f'aria-label="{ctx.t("hist.col.user")}"')
            self.user.mark("hist-user")
        self.today = today

    def query(self) -> EventQuery:
        start = parse_day(self.start.value, self.today - timedelta(days=7))
        end = parse_day(self.end.value, self.today)
        first, last = day_bounds(min(start, end), max(start, end))
        return EventQuery(
            start=first,
            end=last,
            kinds=frozenset(RecordKind(k) for k in (self.kinds.value or [])),
            text=(self.text.value or "").strip(),
            code=(self.code.value or "").strip().upper() or None,
            priority=int(self.priority.value) or None,
            user=(self.user.value or "").strip() or None,
            role=self.ctx.session.role,
        )


def register(services: HmiServices) -> None:
    @hmi_page(services, "/history", "nav.history")
    async def history_page(ctx: PageContext) -> None:
        ui.label(ctx.t("hist.title")).classes("text-lg font-bold")
        history = services.history
        if history is None:
            ui.label(ctx.t("ctl.unavailable"))
            return
        filters = HistoryFilters(ctx)
        columns = [{"name": c, "label": ctx.t(f"hist.col.{c}"), "field": c, "align": "left"} for c in COLUMNS]
        count = ui.label("").classes("text-sm").mark("hist-count")
        table = (
            ui.table(columns=columns, rows=[], row_key="id", pagination=50)
            .classes("w-full")
            .props("dense flat")
            .mark("hist-table")
        )

        async def search() -> None:
            records = await attempt(ctx, history.events(filters.query()), "history") or []
            table.rows = [{"id": i, **table_row(ctx, r)} for i, r in enumerate(records)]
            table.update()
            count.text = ctx.t("hist.count", count=len(records))

        async def export(fmt_: ExportFormat) -> None:
            data = await attempt(ctx, history.export_events(filters.query(), fmt_), "export")
            if data is None:
                return
            media = "text/csv" if fmt_ is ExportFormat.CSV else "application/xml"
            ui.download.content(data, f"historique.{fmt_.value}", media)

        with ui.row().classes("gap-2"):
            ui.button(ctx.t("common.search"), on_click=search).mark("hist-search")
            ui.button(ctx.t("hist.export_csv"), on_click=lambda: export(ExportFormat.CSV)).props(
                "outline"
            ).mark("hist-csv")
            ui.button(ctx.t("hist.export_xml"), on_click=lambda: export(ExportFormat.XML)).props(
                "outline"
            ).mark("hist-xml")
        filters.text.on("keydown.enter", search)
        await search()
