"""The report page: monthly or seasonal energy report from the historian, with charts."""

from __future__ import annotations

import re

from nicegui import ui

from chaufferie.config.vocabulary import ActionKind, Role
from chaufferie.historian.catalogue import figure_label
from chaufferie.hmi import format as fmt
from chaufferie.hmi.charts import report_options
from chaufferie.hmi.i18n import reason_label, tr
from chaufferie.hmi.pages.frame import PageContext, attempt, hmi_page
from chaufferie.hmi.records import ExportFormat, Report
from chaufferie.hmi.services import HmiServices

CONTRACT_ROLE = Role.TECHNICIAN
"""Who may export the contract report: the contractor's technicians and the commune (admin)."""
CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv",
    ExportFormat.XML: "application/xml",
    ExportFormat.HTML: "text/html",
}
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$|^\d{4}-\d{4}$")


def default_period(services: HmiServices) -> str:
    """The previous month (``YYYY-MM``) in local time."""
    today = services.clock.now().astimezone(fmt.PARIS).date()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def figure_rows(report: Report, lang: str) -> list[dict[str, str]]:
    """Figures in words (the report's own headings), numbers in the language's decimal style, and
    "données incomplètes" for those the historian could not compute from enough data."""
    rows = []
    incomplete = set(report.extra.get("incomplete", ()))
    not_metered = set(report.extra.get("not_metered", ()))
    buildings: dict[str, str] = dict(report.extra.get("buildings", {}))
    coverage: dict[str, float] = dict(report.extra.get("coverage", {}))
    for key, value in report.figures.items():
        name = figure_label(key, "fr" if lang == "fr" else "en", buildings)
        decimals = 2 if isinstance(value, float) else 0
        if key in not_metered:
            shown = tr("report.not_metered", lang)
        elif key in incomplete:
            shown = tr("report.incomplete", lang)
        else:
            shown = fmt.number(value, "", decimals, lang)
        covered = coverage.get(key)
        share = "" if covered is None else fmt.number(100.0 * covered, "%", 0, lang)
        rows.append({"name": name, "value": shown, "coverage": share})
    for reason, count in dict(report.extra.get("oil_reasons", {})).items():
        rows.append(
            {
                "name": f"{tr('event.oil_started', lang)} : {reason_label(str(reason), lang)}",
                "value": str(count),
                "coverage": "",
            }
        )
    return rows


def gap_rows(report: Report, lang: str) -> list[dict[str, str]]:
    """The stretches longer than 6 h without a good reading, per point, in local time."""
    return [
        {
            "point": str(name),
            "from": fmt.local_time(start),
            "to": fmt.local_time(end),
            "days": fmt.number((end - start).total_seconds() / 86400.0, "", 1, lang),
        }
        for name, start, end in report.extra.get("gaps", ())
    ]


def register(services: HmiServices) -> None:
    @hmi_page(services, "/reports", "nav.reports")
    async def reports_page(ctx: PageContext) -> None:
        ui.label(ctx.t("report.title")).classes("text-lg font-bold")
        history = services.history
        if history is None:
            ui.label(ctx.t("ctl.unavailable"))
            return
        with ui.row().classes("items-end gap-2 flex-wrap"):
            period = (
                ui.input(ctx.t("report.period"), value=default_period(services))
                .props(f'aria-label="{ctx.t("report.period")}"')
                .mark("report-period")
            )
            show = ui.button(ctx.t("report.show")).mark("report-show")
            csv = ui.button(ctx.t("report.download_csv")).props("outline").mark("report-csv")
            xml = ui.button(ctx.t("report.download_xml")).props("outline").mark("report-xml")
        contract: dict[ExportFormat, ui.button] = {}
        if ctx.can(CONTRACT_ROLE):  # the contractor and the commune: it names callers and reasons
            with ui.row().classes("items-center gap-2 flex-wrap"):
                ui.label(ctx.t("report.contract"))
                contract = {
                    kind: ui.button(ctx.t(f"report.contract_{kind.value}"))
                    .props("outline")
                    .mark(f"report-contract-{kind.value}")
                    for kind in (ExportFormat.HTML, ExportFormat.CSV, ExportFormat.XML)
                }
        title = ui.label("").classes("font-bold").mark("report-title")
        table = (
            ui.table(
                columns=[
                    {"name": "name", "label": "", "field": "name", "align": "left"},
                    {"name": "value", "label": "", "field": "value", "align": "right"},
                    {
                        "name": "coverage",
                        "label": ctx.t("report.coverage"),
                        "field": "coverage",
                        "align": "right",
                    },
                ],
                rows=[],
                row_key="name",
            )
            .classes("w-full")
            .props("dense flat")
            .mark("report-table")
        )
        ui.label(ctx.t("report.gaps")).classes("font-bold")
        gaps = (
            ui.table(
                columns=[
                    {"name": key, "label": ctx.t(f"report.gap_{key}"), "field": key, "align": "left"}
                    for key in ("point", "from", "to", "days")
                ],
                rows=[],
            )
            .classes("w-full")
            .props("dense flat")
            .mark("report-gaps")
        )
        chart = (
            ui.echart(report_options({}, ctx.lang))
            .classes("w-full")
            .style("height:320px")
            .mark("report-chart")
        )

        def valid() -> str | None:
            text = (period.value or "").strip()
            if not PERIOD.match(text):
                ui.notify(ctx.t("common.invalid", message=text), type="warning")
                return None
            return text

        async def load() -> None:
            if (p := valid()) is None:
                return
            report = await attempt(ctx, history.report(p), "report")
            if report is None:
                return
            title.text = report.title
            table.rows = figure_rows(report, ctx.lang)
            table.update()
            gaps.rows = gap_rows(report, ctx.lang)
            gaps.update()
            chart.options.clear()
            chart.options.update(report_options(report.series, ctx.lang))
            chart.update()

        async def download(kind: ExportFormat) -> None:
            if (p := valid()) is None:
                return
            data = await attempt(ctx, history.export_report(p, kind), "report export")
            if data is None:
                return
            ui.download.content(
                data,
                f"rapport-{p}.{kind.value}",
                CONTENT_TYPES[kind],
            )

        async def download_contract(kind: ExportFormat) -> None:
            if (p := valid()) is None or not await ctx.allowed(CONTRACT_ROLE, ActionKind.CONTRACT_REPORT, p):
                return
            data = await attempt(ctx, history.export_contract(p, kind, ctx.lang), "contract report")
            if data is None:
                return
            services.publish_action(ActionKind.CONTRACT_REPORT, ctx.context, p, {"format": kind.value})
            ui.download.content(data, f"rapport-contrat-{p}.{kind.value}", CONTENT_TYPES[kind])

        for kind, button in contract.items():
            button.on_click(lambda kind=kind: download_contract(kind))
        show.on_click(load)
        csv.on_click(lambda: download(ExportFormat.CSV))
        xml.on_click(lambda: download(ExportFormat.XML))
        await load()
