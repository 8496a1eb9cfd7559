"""Remote fault reset from the link page: technician + resettable alarm only.

The PLC side is a ``CommandSender`` stand-in at the edge that confirms with a read-back (the
simulator and the PLC bridge were not on main when this was written).
"""

from __future__ import annotations

import httpx

from chaufferie.config.vocabulary import ActionKind, ActionResult, AlarmState, Channel, Command
from tests.access.conftest import (
    PINS,
    RecordingCommands,
    Site,
    ack_by_link,
    acknowledge,
    path_of,
    sign_in_with_pin,
)


def recorded(site: Site) -> list[Command]:
    assert isinstance(site.commands, RecordingCommands)
    return site.commands.commands


def resets(site: Site) -> list[tuple[ActionResult, str]]:
    return [
        (a.result, str(a.details.get("reason") or a.details.get("point")))
        for a in site.actions()
        if a.kind is ActionKind.RESET
    ]


async def test_technician_resets_a_resettable_fault_with_read_back(site: Site) -> None:
    occ = site.raise_alarm("FIO-DEF", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        await sign_in_with_pin(client, link, PINS["martin"])
        page = await client.get(path_of(link))
        assert 'name="reset"' in page.text
        answer = await acknowledge(client, link, occ, reset=True)
    assert answer.status_code == 200
    assert "Réarmement envoyé et relu" in answer.text
    [command] = recorded(site)
    assert (command.point, command.value) == ("oil.fault_reset", True)
    assert command.context.user == "martin"
    assert command.context.channel is Channel.LINK
    assert site.state(occ) is AlarmState.ACKED
    assert resets(site) == [(ActionResult.OK, "oil.fault_reset")]


async def test_wood_fault_reset_goes_to_the_wood_reset_point(site: Site) -> None:
    await ack_by_link(site, "CHB-DEF", "tech-martin", "martin", reset=True)
    assert [c.point for c in recorded(site)] == ["wood.fault_reset"]


async def test_stb_is_not_resettable_remotely(site: Site) -> None:
    occ = site.raise_alarm("CHB-STB", ("tech-martin",))
    link = site.link(occ, "tech-martin")
    async with httpx.AsyncClient(base_url=site.base_url) as client:
        await sign_in_with_pin(client, link, PINS["martin"])
        page = await client.get(path_of(link))
        assert 'name="reset"' not in page.text
        answer = await acknowledge(client, link, occ, reset=True)  # a forged form asks anyway
    assert answer.status_code == 200
    assert "non autorisé" in answer.text
    assert recorded(site) == []
    assert site.state(occ) is AlarmState.ACKED
    site.tag("wood.stb_tripped", False)  # the plant says it is back to normal: still latched
    assert site.state(occ) is AlarmState.LATCHED
    assert resets(site) == [(ActionResult.REFUSED, "not_resettable")]


async def test_operator_can_neither_acknowledge_nor_reset(site: Site) -> None:
    occ, answer = await ack_by_link(site, "FIO-DEF", "op-durand", "durand", reset=True)
    assert answer.status_code == 403
    assert recorded(site) == []
    assert site.state(occ) is AlarmState.UNACKED
    assert resets(site) == [(ActionResult.REFUSED, "role")]
