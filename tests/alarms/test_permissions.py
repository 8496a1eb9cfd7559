"""One rule for a remote reset, asked by the HMI's alarm page, the ack page and its adapter."""

from __future__ import annotations

import pytest

from chaufferie.alarms.permissions import ResetRefusal, latch_waiting, remote_reset_refusal
from chaufferie.config.settings import PlantConfig
from chaufferie.config.vocabulary import AlarmState


def test_only_catalogue_resettable_faults_with_a_plc_path_may_be_reset_remotely(config: PlantConfig) -> None:
    resettable = {a.code for a in config.alarms if a.resettable}
    assert resettable, "the shipped catalogue has resettable PLC faults"
    for alarm in config.alarms:
        expected = None if alarm.code in resettable else ResetRefusal.NOT_RESETTABLE
        assert remote_reset_refusal(config, alarm.code, plc_link=True) is expected, alarm.code
    code = sorted(resettable)[0]
    assert remote_reset_refusal(config, code, plc_link=False) is ResetRefusal.NO_PLC_LINK
    assert remote_reset_refusal(config, "NO-SUCH", plc_link=True) is ResetRefusal.UNKNOWN_ALARM


@pytest.mark.parametrize("state", list(AlarmState))
def test_a_latched_alarm_waits_for_its_reset_only_in_the_latched_state(
    config: PlantConfig, state: AlarmState
) -> None:
    latched = [a.code for a in config.alarms if a.latched]
    plain = [a.code for a in config.alarms if not a.latched]
    assert latched
    assert plain
    assert latch_waiting(config, latched[0], state) is (state is AlarmState.LATCHED)
    assert not latch_waiting(config, plain[0], state)
    assert not latch_waiting(config, "NO-SUCH", AlarmState.LATCHED)
