"""The schemas a batch feed is validated against, as the tests use them.

The standard's files come from :mod:`chaufferie.historian.espi_schema` (installed with the
package, docs/exchange.md); a machine without them fails these tests, it does not skip them.
"""

from __future__ import annotations

from lxml import etree

from chaufferie.historian.espi_schema import ESPI, profile, standard, standard_and_profile

__all__ = ["assert_profile_elements_valid", "profile", "standard", "standard_and_profile"]


def assert_profile_elements_valid(document: etree._Element) -> None:
    """Every element of our namespace in ``document``'s ESPI extensions is valid by the profile."""
    schema = profile()
    extensions = document.iterfind(f".//{{{ESPI}}}extension")
    checked = [element for extension in extensions for element in extension]
    assert checked, "no extension element: not a batch feed"
    for element in checked:
        schema.assertValid(etree.ElementTree(etree.fromstring(etree.tostring(element))))
