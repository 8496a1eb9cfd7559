"""The alarm page: active list, acknowledge, shelve, comment, reset, occurrence history.

Each row shows the priority as colour + shape + text, the time raised, the label (French or
English from the config), the state in words and the value. Rows are focusable (Tab) and
each button names its alarm for screen readers. What a role may not do is not offered; a
forced call is refused by :meth:`PageContext.allowed` and audited. Rights (issue 7):
operator comments and shelves, technician acknowledges and resets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from chaufferie.alarms.permissions import (
    ACK_ROLE,
    COMMENT_ROLE,
    RESET_ROLE,
    SHELVE_ROLE,
    latch_waiting,
    remote_reset_refusal,
)
from chaufferie.config.vocabulary import ActionKind, ActionResult, AlarmState, Context, Role
from chaufferie.hmi import format as fmt
from chaufferie.hmi.alarm_actions import HmiAlarmActions
from chaufferie.hmi.i18n import alarm_state_label
from chaufferie.hmi.pages.frame import PageContext, attempt, hmi_page
from chaufferie.hmi.pages.history import detail_label
from chaufferie.hmi.props import labelled
from chaufferie.hmi.records import Outcome
from chaufferie.hmi.services import HmiServices
from chaufferie.hmi.texts import TEXTS
from chaufferie.hmi.theme import priority_style
from chaufferie.hmi.viewmodel import AlarmRow

SHELVE_MAX_H = 72.0
ARROW_KEYS = """(e) => {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const rows = [...e.currentTarget.querySelectorAll('[role=listitem]')];
  const here = document.activeElement && document.activeElement.closest('[role=listitem]');
  const i = rows.indexOf(here);
  const j = e.key === 'ArrowDown' ? Math.min(rows.length - 1, i + 1) : Math.max(0, i - 1);
  if (rows[j]) { rows[j].focus(); e.preventDefault(); }
}"""
"""Up and down arrows move between alarm rows (client side); Tab reaches each row's buttons."""


class AlarmPanel:
    """The operator actions on alarms, each re-checking the role before calling the layer."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx

    def label(self, row: AlarmRow) -> str:
        try:
            definition = self.ctx.services.config.alarm(row.code)
        except KeyError:
            return row.message or row.code
        return definition.label_en if self.ctx.lang == "en" else definition.label_fr

    def acked_text(self, row: AlarmRow) -> str:
        """ "acquittée par X (lien SMS)"; the channel left out when not known."""
        key = f"channel.{row.acked_via}"
        if row.acked_via in (None, "system") or key not in TEXTS:
            return self.ctx.t("alarms.acked_by_only", user=row.acked_by)
        return self.ctx.t("alarms.acked_by", user=row.acked_by, channel=self.ctx.t(key))

    def value_text(self, row: AlarmRow) -> str:
        """The alarm's value with the unit of the point its condition watches."""
        try:
            point = getattr(self.ctx.services.config.alarm(row.code).condition, "point", None)
        except KeyError:
            point = None
        points = self.ctx.services.config.points_by_name
        unit = points[point].unit if isinstance(point, str) and point in points else ""
        if isinstance(row.value, bool) or unit == "":
            return fmt.number(row.value, "", 0 if isinstance(row.value, bool | int) else 1, self.ctx.lang)
        return fmt.number(row.value, unit, 1, self.ctx.lang)

    def reset_refusal(self, row: AlarmRow) -> str | None:
        """Why ``row`` offers no reset (None: a latched alarm waiting for its reset, or a PLC
        fault that may be reset remotely: :mod:`chaufferie.alarms.permissions`)."""
        services = self.ctx.services
        if latch_waiting(services.config, row.code, row.state):
            return None
        refusal = remote_reset_refusal(services.config, row.code, plc_link=services.commands is not None)
        return None if refusal is None else refusal.value

    def _report(self, outcome: Outcome, done: str) -> None:
        if outcome.ok:
            ui.notify(done, type="positive")
        else:
            ui.notify(self.ctx.t("common.failed", message=outcome.message), type="negative")

    async def _act(
        self,
        role: Role,
        kind: ActionKind,
        row: AlarmRow,
        call: Callable[[HmiAlarmActions, Context], Awaitable[Outcome]],
        done: str,
    ) -> bool:
        if not await self.ctx.allowed(role, kind, row.code):
            return False
        actions = self.ctx.services.alarms
        if actions is None:
            ui.notify(self.ctx.t("ctl.unavailable"), type="warning")
            return False
        outcome = await attempt(self.ctx, call(actions, self.ctx.context), "alarm action")
        if outcome is None:
            return False
        self._report(outcome, done)
        return outcome.ok

    async def acknowledge(self, row: AlarmRow, comment: str = "") -> bool:
        return await self._act(
            ACK_ROLE,
            ActionKind.ACKNOWLEDGE,
            row,
            lambda a, c: a.acknowledge(row.occurrence_id, c, comment),
            self.ctx.t("alarms.acked", code=row.code),
        )

    async def shelve(self, row: AlarmRow, reason: str, hours: float) -> bool:
        if not reason.strip():
            ui.notify(self.ctx.t("alarms.reason_required"), type="warning")
            return False
        if not 0 < hours <= SHELVE_MAX_H:
            ui.notify(self.ctx.t("ctl.out_of_bounds", min=0, max=SHELVE_MAX_H), type="warning")
            return False
        return await self._act(
            SHELVE_ROLE,
            ActionKind.SHELVE,
            row,
            lambda a, c: a.shelve(row.occurrence_id, c, reason.strip(), hours * 3600),
            self.ctx.t("common.done"),
        )

    async def unshelve(self, row: AlarmRow) -> bool:
        return await self._act(
            SHELVE_ROLE,
            ActionKind.UNSHELVE,
            row,
            lambda a, c: a.unshelve(row.occurrence_id, c),
            self.ctx.t("common.done"),
        )

    async def comment(self, row: AlarmRow, text: str) -> bool:
        if not text.strip():
            return False
        return await self._act(
            COMMENT_ROLE,
            ActionKind.COMMENT,
            row,
            lambda a, c: a.comment(row.occurrence_id, c, text.strip()),
            self.ctx.t("common.done"),
        )

    async def reset(self, row: AlarmRow) -> bool:
        refusal = self.reset_refusal(row)
        if refusal is not None:
            self.ctx.services.publish_action(
                ActionKind.RESET, self.ctx.context, row.code, {"why": refusal}, ActionResult.REFUSED
            )
            ui.notify(self.ctx.t("common.refused"), type="negative")
            return False
        return await self._act(
            RESET_ROLE,
            ActionKind.RESET,
            row,
            lambda a, c: a.reset(row.occurrence_id, c),
            self.ctx.t("common.done"),
        )


def priority_badge(ctx: PageContext, row: AlarmRow) -> None:
    style = priority_style(row.priority)
    classes = f"hmi-badge {style.css_class}" + (" unacked" if row.unacked else "")
    ui.label(f"{style.glyph} {ctx.t(f'prio.{row.priority}')}").classes(classes).mark(f"prio-{row.code}")


def _form_dialog(
    ctx: PageContext,
    title: str,
    fields: Callable[[], Callable[[], Awaitable[bool]]],
    confirm_key: str,
    mark: str,
) -> None:
    """A small dialog: ``fields()`` draws the inputs and returns the submit action."""
    with ui.dialog() as dialog, ui.card().classes("hmi-panel"):
        ui.label(title).classes("font-bold")
        submit = fields()

        async def go() -> None:
            if await submit():
                dialog.delete()

        with ui.row():
            ui.button(ctx.t("common.cancel"), on_click=dialog.delete).props("flat")
            ui.button(ctx.t(confirm_key), on_click=go).mark(mark)
    dialog.open()


def _dialog_shelve(panel: AlarmPanel, row: AlarmRow) -> None:
    ctx = panel.ctx

    def fields() -> Callable[[], Awaitable[bool]]:
        reason = ui.input(ctx.t("alarms.reason")).props(f'aria-label="{ctx.t("alarms.reason")}"')
        hours = ui.number(ctx.t("alarms.duration"), value=1, min=0.25, max=SHELVE_MAX_H, step=0.25)
        reason.mark("shelve-reason")
        hours.mark("shelve-hours")
        return lambda: panel.shelve(row, reason.value or "", float(hours.value or 0))

    _form_dialog(ctx, f"{ctx.t('alarms.shelve')} — {row.code}", fields, "common.confirm", "shelve-confirm")


def _dialog_comment(panel: AlarmPanel, row: AlarmRow) -> None:
    ctx = panel.ctx

    def fields() -> Callable[[], Awaitable[bool]]:
        text = ui.textarea(ctx.t("alarms.comment_text")).props(f'aria-label="{ctx.t("alarms.comment_text")}"')
        text.mark("comment-text")
        return lambda: panel.comment(row, text.value or "")

    _form_dialog(ctx, f"{ctx.t('alarms.comment')} — {row.code}", fields, "common.save", "comment-confirm")


async def _dialog_history(panel: AlarmPanel, row: AlarmRow) -> None:
    """Open at once, then fill from the historian (which may take a moment)."""
    ctx = panel.ctx
    with ui.dialog() as dialog, ui.card().classes("hmi-panel").style("max-width:760px"):
        ui.label(f"{ctx.t('alarms.details')} — {row.code} {panel.label(row)}").classes("font-bold")
        lines = ui.column().classes("gap-1")
        with lines:
            ui.spinner()
        ui.button(ctx.t("common.close"), on_click=dialog.delete).props("flat")
    dialog.open()
    history = ctx.services.history
    found = (
        None if history is None else await attempt(ctx, history.occurrence(row.occurrence_id), "occurrence")
    )
    records = found or []
    lines.clear()
    with lines:
        if not records:
            ui.label(ctx.t("alarms.no_history"))
        for r in records:
            who = f" — {r.user}" if r.user else ""
            via = f" ({r.channel})" if r.channel else ""
            what = detail_label(r.what, ctx.lang)  # an action's code in words (acknowledge → acquittement)
            ui.label(f"{fmt.local_time(r.time)}  {what}{who}{via}  {r.detail}").classes("text-sm").mark(
                "occurrence-line"
            )


def alarm_row(panel: AlarmPanel, row: AlarmRow) -> None:
    ctx = panel.ctx
    label = panel.label(row)
    state = alarm_state_label(row.state, ctx.lang)
    aria = f"{ctx.t(f'prio.{row.priority}')}, {row.code}, {label}, {state}"
    with (
        labelled(ui.row(), aria)
        .classes("hmi-alarm-row hmi-panel w-full items-center gap-2 p-2 flex-wrap")
        .props("tabindex=0 role=listitem")
        .mark(f"alarm-{row.code}")
    ):
        priority_badge(ctx, row)
        ui.label(fmt.local_time(row.raised)).classes("text-sm")
        ui.label(f"{row.code} {label}").classes("font-bold" if row.unacked else "")
        ui.label(state).classes("text-sm").mark(f"state-{row.code}")
        if row.acked_by:
            ui.label(panel.acked_text(row)).classes("text-sm").mark(f"acked-by-{row.code}")
        if row.value is not None:
            ui.label(panel.value_text(row)).classes("text-sm").mark(f"value-{row.code}")
        ui.space()
        _row_buttons(panel, row)


def _button(text: str, aria: str, handler: Callable[[], object], mark: str) -> None:
    labelled(ui.button(text, on_click=handler).props("dense outline"), aria).mark(mark)


def _row_buttons(panel: AlarmPanel, row: AlarmRow) -> None:
    ctx = panel.ctx
    if row.unacked and ctx.can(ACK_ROLE):
        _button(
            ctx.t("alarms.ack"),
            ctx.t("alarms.ack_aria", code=row.code),
            lambda: panel.acknowledge(row),
            f"ack-{row.code}",
        )
    if ctx.can(SHELVE_ROLE):
        if row.state is AlarmState.SHELVED:
            _button(
                ctx.t("alarms.unshelve"),
                f"{ctx.t('alarms.unshelve')} {row.code}",
                lambda: panel.unshelve(row),
                f"unshelve-{row.code}",
            )
        else:
            _button(
                ctx.t("alarms.shelve"),
                f"{ctx.t('alarms.shelve')} {row.code}",
                lambda: _dialog_shelve(panel, row),
                f"shelve-{row.code}",
            )
    if ctx.can(COMMENT_ROLE):
        _button(
            ctx.t("alarms.comment"),
            f"{ctx.t('alarms.comment')} {row.code}",
            lambda: _dialog_comment(panel, row),
            f"comment-{row.code}",
        )
    if panel.reset_refusal(row) is None and ctx.can(RESET_ROLE):
        _button(
            ctx.t("alarms.reset"),
            f"{ctx.t('alarms.reset')} {row.code}",
            lambda: panel.reset(row),
            f"reset-{row.code}",
        )
    _button(
        ctx.t("alarms.details"),
        f"{ctx.t('alarms.details')} {row.code}",
        lambda: _dialog_history(panel, row),
        f"details-{row.code}",
    )


def register(services: HmiServices) -> None:
    @hmi_page(services, "/alarms", "nav.alarms")
    def alarms_page(ctx: PageContext) -> None:
        panel = AlarmPanel(ctx)
        ui.label(ctx.t("alarms.title")).classes("text-lg font-bold")
        listing = (
            ui.column()
            .classes("w-full gap-1")
            .props(f'role=list aria-label="{ctx.t("alarms.title")}"')
            .mark("alarm-list")
        )
        listing.on("keydown", js_handler=ARROW_KEYS)
        seen = [-1]

        def refresh() -> None:
            if services.view.alarm_version == seen[0]:
                return
            seen[0] = services.view.alarm_version
            listing.clear()
            with listing:
                rows = services.view.sorted_alarms()
                if not rows:
                    ui.label(ctx.t("alarms.none")).mark("no-alarm")
                for row in rows:
                    alarm_row(panel, row)

        refresh()
        ctx.on_refresh(refresh)
