"""HTTP endpoints of the acknowledgement link (``/a/<token>``) and the router factory.

* ``GET /a/<token>`` shows the alarm and a PIN (or login) form; it acknowledges nothing, so
  link previews and scanners are harmless.
* ``POST /a/<token>/login`` checks the PIN of the link's technician (or a username and
  password bound to that technician) and opens a session scoped to that link.
* ``POST /a/<token>/ack`` with that session and its CSRF token burns the link, acknowledges,
  and optionally resets the fault; ``POST /access/arrival/<occurrence>`` records arrival,
  ``POST /access/step/<occurrence>/<made_safe|repaired>`` the later steps.

Every refusal renders a clear page and is audited (``LINK_REFUSED`` or ``LOGIN_FAILED``,
channel ``link``, with the client address).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from chaufferie.alarms.ack_links import AckToken, LinkError, LinkRefusal
from chaufferie.alarms.permissions import ACK_ROLE
from chaufferie.config.vocabulary import ActionKind, ActionResult, Channel, Context
from chaufferie.historian.access_store import InterventionRecord, UserRecord
from chaufferie.historian.intervention_store import Milestone
from chaufferie.hmi import csp
from chaufferie.hmi.access import pages
from chaufferie.hmi.access.authn import AuthRefusal, AuthResult
from chaufferie.hmi.access.desk import AckOutcome
from chaufferie.hmi.access.interventions import Refusal
from chaufferie.hmi.access.ports import OccurrenceView
from chaufferie.hmi.access.services import AccessServices
from chaufferie.hmi.access.sessions import Session, is_https
from chaufferie.hmi.access.sms import SmsReplies, SmsWebhook
from chaufferie.hmi.access.views import alarm_panel
from chaufferie.hmi.addresses import client_address

PHONE_STEPS = (Milestone.MADE_SAFE, Milestone.REPAIRED)
"""The steps after arrival the technician records from the phone page."""

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
}
COMMON_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
REFUSAL_STATUS = {
    LinkRefusal.TAMPERED: 400,
    LinkRefusal.EXPIRED: 410,
    LinkRefusal.REUSED: 410,
    LinkRefusal.OTHER_ALARM: 403,
    LinkRefusal.OTHER_TECHNICIAN: 403,
    LinkRefusal.UNKNOWN_ALARM: 404,
}


class Refused(Exception):
    """Stop handling a request and answer with a refusal page (already audited)."""

    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


def html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **COMMON_HEADERS})


def security_headers(app: FastAPI) -> None:
    """Add the app-wide headers to every response: frames, sniffing, referrer, HSTS over
    HTTPS, and the HMI's Content-Security-Policy (:mod:`chaufferie.hmi.csp`) on every HTML
    page that has none of its own (the link pages above keep their stricter one)."""

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        html_page = response.headers.get("content-type", "").startswith("text/html")
        if html_page and "content-security-policy" not in response.headers:
            response = await _with_csp(response)
        for name, value in COMMON_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    async def _with_csp(response: Response) -> Response:
        nonce = csp.new_nonce()
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        encoding = response.headers.get("content-encoding", "")
        page = Response(csp.add_nonce(body, nonce, encoding), status_code=response.status_code)
        kept = [(k, v) for k, v in response.raw_headers if k.lower() != b"content-length"]
        page.raw_headers = [*kept, *(h for h in page.raw_headers if h[0] == b"content-length")]
        page.headers["Content-Security-Policy"] = csp.policy(nonce)
        page.background = response.background
        return page


class LinkFlow:
    """The handlers of the link pages."""

    def __init__(self, services: AccessServices) -> None:
        self.s = services

    # -- helpers -------------------------------------------------------------------------
    def context(self, request: Request, user: str | None = None) -> Context:
        address = client_address(request, self.s.cfg.hmi.trusted_proxies)
        return Context(origin="access.link", user=user, channel=Channel.LINK, address=address)

    def refuse(self, ctx: Context, reason: LinkRefusal, target: str = "", **details: str) -> Refused:
        self.s.audit.record(
            ActionKind.LINK_REFUSED, ctx, target, ActionResult.REFUSED, reason=reason.value, **details
        )
        return Refused(html(pages.refusal(reason.value), REFUSAL_STATUS[reason]))

    def refuse_key(self, ctx: Context, key: str, status: int, target: str = "") -> Refused:
        self.s.audit.record(ActionKind.LINK_REFUSED, ctx, target, ActionResult.REFUSED, reason=key)
        return Refused(html(pages.refusal(key), status))

    async def token(self, raw: str, ctx: Context) -> tuple[AckToken, OccurrenceView]:
        try:
            tok = await asyncio.to_thread(self.s.links.verify, raw, self.s.store)
        except LinkError as exc:
            raise self.refuse(ctx, exc.reason) from None
        occ = self.s.lookup.occurrence(tok.occurrence_id)
        if occ is None:
            raise self.refuse(ctx, LinkRefusal.UNKNOWN_ALARM, tok.occurrence_id, contact=tok.contact_id)
        return tok, occ

    async def form_and_session(self, request: Request, ctx: Context) -> tuple[dict[str, str], Session]:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        session = self.s.sessions.read(request)
        if session is None or not session.csrf_ok(form.get("csrf", "")):
            raise self.refuse_key(ctx, "csrf", 400)
        return form, session

    async def session_user(self, session: Session, ctx: Context) -> UserRecord:
        user = await self.known_user(session.username)
        if user is None:
            raise self.refuse_key(ctx, "login_needed", 401)
        if user.disabled:
            raise self.refuse_key(ctx, "disabled", 403, user.username)
        return user

    async def known_user(self, username: str | None) -> UserRecord | None:
        return None if username is None else await asyncio.to_thread(self.s.store.get_user, username)

    def with_session(self, request: Request, response: Response, session: Session) -> Response:
        self.s.sessions.write(request, response, session)
        return response

    # -- GET /a/<token> ------------------------------------------------------------------
    async def show(self, request: Request, token: str) -> Response:
        ctx = self.context(request)
        revisit = await self.revisit(request, token)
        if revisit is not None:
            return revisit
        try:
            tok, occ = await self.token(token, ctx)
        except Refused as refused:
            return refused.response
        session = self.s.sessions.read(request) or self.s.sessions.new()
        user = await self.linked_user(session, tok)
        body = pages.panel(alarm_panel(self.s, occ))
        if user is not None and not occ.needs_ack:
            body += pages.message("ack.already")
        elif user is not None:
            can_reset = self.s.desk.reset_refusal(occ, user) is None
            body += pages.ack_form(f"/a/{token}/ack", session.csrf, occ.occurrence_id, can_reset)
        else:
            body += pages.login_form(f"/a/{token}/login", session.csrf)
        return self.with_session(request, html(pages.frame(body)), session)

    async def revisit(self, request: Request, raw: str) -> Response | None:
        """The technician who used this link, back with the same session: the alarm and,
        while the intervention is open, the arrival button (anyone else: the refusal)."""
        session = self.s.sessions.read(request)
        if session is None or session.username is None:
            return None
        try:
            tok = self.s.links.verify(raw)
        except LinkError:
            return None
        burnt = await asyncio.to_thread(self.s.store.is_burnt, tok.token_id)
        user = await self.linked_user(session, tok)
        occ = self.s.lookup.occurrence(tok.occurrence_id)
        if not burnt or user is None or occ is None:
            return None
        body = pages.message("ack.done") + pages.panel(alarm_panel(self.s, occ))
        record = await asyncio.to_thread(self.s.store.intervention, tok.occurrence_id)
        if record is not None:
            body += self.next_steps(record, session)
        return html(pages.frame(body))

    async def linked_user(self, session: Session, tok: AckToken) -> UserRecord | None:
        if session.username is None or session.link_id != tok.token_id:
            return None
        user = await self.known_user(session.username)
        ok = user is not None and not user.disabled and user.contact_id == tok.contact_id
        return user if ok else None

    # -- POST /a/<token>/login -----------------------------------------------------------
    async def login(self, request: Request, token: str) -> Response:
        ctx = self.context(request)
        try:
            tok, occ = await self.token(token, ctx)
            form, session = await self.form_and_session(request, ctx)
            result = await self.authenticate(form, tok, ctx)
        except Refused as refused:
            return refused.response
        if not result.ok or result.user is None:
            return self.login_failed(request, token, occ, session, result)
        fresh = self.s.sessions.rotate(session, result.user.username, tok.token_id)
        return self.with_session(request, RedirectResponse(f"/a/{token}", status_code=303), fresh)

    async def authenticate(self, form: dict[str, str], tok: AckToken, ctx: Context) -> AuthResult:
        username, password = form.get("username", "").strip(), form.get("password", "")
        if username and password:
            result = await self.s.authn.check_password(username, password, ctx)
            if result.ok and result.user is not None and result.user.contact_id != tok.contact_id:
                raise self.refuse(
                    Context(ctx.origin, result.user.username, ctx.channel, ctx.address),
                    LinkRefusal.OTHER_TECHNICIAN,
                    tok.occurrence_id,
                    contact=tok.contact_id,
                )
            return result
        user = await asyncio.to_thread(self.s.store.user_by_contact, tok.contact_id)
        return await self.s.authn.check_pin(user, form.get("pin", ""), ctx)

    def login_failed(
        self, request: Request, token: str, occ: OccurrenceView, session: Session, result: AuthResult
    ) -> Response:
        refusal = result.refusal or AuthRefusal.WRONG
        until = ""
        if result.locked_until is not None:
            until = result.locked_until.astimezone(ZoneInfo(self.s.cfg.site.timezone)).strftime("%H:%M")
        status = {AuthRefusal.LOCKED: 429, AuthRefusal.DISABLED: 403}.get(refusal, 401)
        body = pages.message(refusal.value, error=True, until=until) + pages.panel(alarm_panel(self.s, occ))
        if refusal is not AuthRefusal.LOCKED:
            body += pages.login_form(f"/a/{token}/login", session.csrf)
        return self.with_session(request, html(pages.frame(body), status), session)

    # -- POST /a/<token>/ack -------------------------------------------------------------
    async def acknowledge(self, request: Request, token: str) -> Response:
        ctx = self.context(request)
        try:
            tok, occ = await self.token(token, ctx)
            form, session = await self.form_and_session(request, ctx)
            user = await self.session_user(session, ctx)
            ctx = Context(ctx.origin, user.username, ctx.channel, ctx.address)
            self.check_binding(tok, session, user, form, ctx)
            if user.role.at_least(ACK_ROLE):
                await self.burn(tok, ctx)
        except Refused as refused:
            return refused.response
        comment = form.get("comment", "").strip()[:500]
        outcome = await self.s.desk.acknowledge(occ, user, ctx, comment, reset=form.get("reset") == "1")
        if outcome.refusal is not None:
            return html(pages.refusal(outcome.refusal), 403)
        fresh = self.s.lookup.occurrence(occ.occurrence_id) or occ
        return html(pages.frame(self.done_body(fresh, outcome, session)))

    def check_binding(
        self, tok: AckToken, session: Session, user: UserRecord, form: dict[str, str], ctx: Context
    ) -> None:
        if user.contact_id != tok.contact_id:
            raise self.refuse(ctx, LinkRefusal.OTHER_TECHNICIAN, tok.occurrence_id, contact=tok.contact_id)
        if session.link_id != tok.token_id or form.get("occurrence") != tok.occurrence_id:
            raise self.refuse(ctx, LinkRefusal.OTHER_ALARM, tok.occurrence_id)

    async def burn(self, tok: AckToken, ctx: Context) -> None:
        try:
            await asyncio.to_thread(self.s.links.burn, tok, self.s.store)
        except LinkError as exc:
            raise self.refuse(ctx, exc.reason, tok.occurrence_id) from None

    def done_body(self, occ: OccurrenceView, outcome: AckOutcome, session: Session) -> str:
        body = pages.message("ack.done" if outcome.acknowledged else "ack.already")
        if outcome.reset is not None:
            confirmed = outcome.reset.status.value == "confirmed"
            body += pages.message("reset.done" if confirmed else "reset.failed", error=not confirmed)
        elif outcome.reset_refusal is not None:
            body += pages.message("reset.refused", error=True)
        body += pages.panel(alarm_panel(self.s, occ))
        if outcome.intervention is not None:
            body += self.next_steps(outcome.intervention, session)
        return body

    def next_steps(self, record: InterventionRecord, session: Session) -> str:
        """The arrival button until arrival, then making safe and end of repair, each until done."""
        if record.arrival is None:
            due = record.deadline.astimezone(ZoneInfo(self.s.cfg.site.timezone)).strftime("%d/%m %H:%M")
            return pages.arrival_form(f"/access/arrival/{record.occurrence_id}", session.csrf, due)
        return "".join(
            pages.milestone_form(f"/access/step/{record.occurrence_id}/{m.value}", session.csrf, m.value)
            for m in PHONE_STEPS
            if record.mark(m) is None
        )

    # -- POST /access/arrival/<occurrence> -----------------------------------------------
    async def technician(self, request: Request, occurrence_id: str) -> tuple[Context, Session] | Response:
        """Who posts a step of ``occurrence_id`` from the phone page: the form's CSRF token, the
        session and a role that may acknowledge; else the refusal to answer."""
        ctx = self.context(request)
        try:
            _, session = await self.form_and_session(request, ctx)
            user = await self.session_user(session, ctx)
        except Refused as refused:
            return refused.response
        ctx = Context(ctx.origin, user.username, ctx.channel, ctx.address)
        if not user.role.at_least(ACK_ROLE):
            return self.refuse_key(ctx, "role", 403, occurrence_id).response
        return ctx, session

    async def arrive(self, request: Request, occurrence_id: str) -> Response:
        signed = await self.technician(request, occurrence_id)
        if isinstance(signed, Response):
            return signed
        ctx, session = signed
        record = await self.s.interventions.arrive(occurrence_id, ctx)
        if record is None:
            return html(pages.refusal("unknown_alarm"), 404)
        body = pages.message("arrival.done")
        if record.late_days:
            body += pages.message("late", error=True) + f"<p><b>{record.late_days}</b></p>"
        else:
            body += pages.message("on_time")
        return html(pages.frame(body + self.next_steps(record, session)))

    # -- POST /access/step/<occurrence>/<milestone> --------------------------------------
    async def step(self, request: Request, occurrence_id: str, milestone: str) -> Response:
        """Making safe or end of repair, from the phone (same checks as arrival)."""
        signed = await self.technician(request, occurrence_id)
        if isinstance(signed, Response):
            return signed
        ctx, session = signed
        kind = next((m for m in PHONE_STEPS if m.value == milestone), None)
        if kind is None:
            return html(pages.refusal("unknown_alarm"), 404)
        answer = await self.s.interventions.milestone(occurrence_id, kind, ctx)
        if answer.record is None:
            key = f"iv.{(answer.refusal or Refusal.NO_INTERVENTION).value}"
            return html(pages.refusal(key), 409)
        return html(pages.frame(pages.message("milestone.done") + self.next_steps(answer.record, session)))

    async def stylesheet(self) -> Response:
        headers = {**COMMON_HEADERS, "Cache-Control": "max-age=3600"}
        return Response(pages.STYLESHEET, media_type="text/css", headers=headers)


def build_access_router(services: AccessServices, replies: SmsReplies | None = None) -> APIRouter:
    """The access endpoints, to ``include_router`` in the NiceGUI/FastAPI app; ``replies`` is the
    judge of SMS replies the modem shares (one is made when not given)."""
    flow = LinkFlow(services)
    sms = SmsWebhook(services, replies or SmsReplies(services))
    router = APIRouter()
    router.add_api_route("/access/style.css", flow.stylesheet, methods=["GET"], include_in_schema=False)
    router.add_api_route("/a/{token}", flow.show, methods=["GET"], include_in_schema=False)
    router.add_api_route("/a/{token}/login", flow.login, methods=["POST"], include_in_schema=False)
    router.add_api_route("/a/{token}/ack", flow.acknowledge, methods=["POST"], include_in_schema=False)
    router.add_api_route(
        "/access/arrival/{occurrence_id}", flow.arrive, methods=["POST"], include_in_schema=False
    )
    router.add_api_route(
        "/access/step/{occurrence_id}/{milestone}", flow.step, methods=["POST"], include_in_schema=False
    )
    router.add_api_route("/sms/inbound", sms.inbound, methods=["POST"], include_in_schema=False)
    return router


__all__ = ["build_access_router", "is_https", "security_headers"]
