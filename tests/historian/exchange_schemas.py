"""The schemas a batch feed is validated against: the ESPI standard's own, and our profile.

The standard's files (NAESB REQ.21 ESPI ``usage.xsd`` and the Atom ``atom.xsd`` it imports,
as the Green Button Alliance publishes them; docs/exchange.md says which version) are not
in this repository: they are read from ``CHAUFFERIE_ESPI_SCHEMAS`` or, by default, from
``schemas/espi/`` in the shared folder beside the repository. A test that needs them skips,
saying so, when they are missing. Atom's import of the W3C ``xml.xsd`` is resolved to
:file:`xml_namespace.xsd` here, so validation never touches the network.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).parents[2]
PROFILE = ROOT / "historian" / "exchange.xsd"
XML_NAMESPACE = Path(__file__).with_name("xml_namespace.xsd")
STANDARD_DIR = Path(os.environ.get("CHAUFFERIE_ESPI_SCHEMAS", ROOT.parent / "shared" / "schemas" / "espi"))
ESPI = "http://naesb.org/espi"
CH = "urn:chaufferie:exchange:1"


class _Offline(etree.Resolver):
    """Resolves the W3C's xml.xsd to the local declaration; nothing else is fetched."""

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        if system_url.endswith("/xml.xsd"):
            return self.resolve_filename(str(XML_NAMESPACE), context)
        return None


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_Offline())
    return parser


def _standard_file() -> Path:
    usage = STANDARD_DIR / "usage.xsd"
    if not (usage.is_file() and (STANDARD_DIR / "atom.xsd").is_file()):
        pytest.skip(
            f"the ESPI standard's usage.xsd and atom.xsd are not in {STANDARD_DIR} (docs/exchange.md)"
        )
    return usage


@cache
def _schema(imports: tuple[tuple[str, str], ...]) -> etree.XMLSchema:
    lines = "".join(f'<xs:import namespace="{ns}" schemaLocation="{Path(f).as_uri()}"/>' for ns, f in imports)
    driver = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{lines}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(driver, _parser(), base_url=str(ROOT)))


def standard() -> etree.XMLSchema:
    """ESPI's own schema (with Atom's): extension contents are not checked (xs:anyType)."""
    return _schema(((ESPI, str(_standard_file())),))


def standard_and_profile() -> etree.XMLSchema:
    """ESPI's schema and our profile: the extensions' elements are checked against the profile."""
    return _schema(((ESPI, str(_standard_file())), (CH, str(PROFILE))))


def profile() -> etree.XMLSchema:
    """Our profile alone (needs no standard file): for the elements of our namespace."""
    return etree.XMLSchema(etree.parse(str(PROFILE), _parser()))


def assert_profile_elements_valid(document: etree._Element) -> None:
    """Every element of our namespace in ``document``'s ESPI extensions is valid by the profile."""
    schema = profile()
    extensions = document.iterfind(f".//{{{ESPI}}}extension")
    checked = [element for extension in extensions for element in extension]
    assert checked, "no extension element: not a batch feed"
    for element in checked:
        schema.assertValid(etree.ElementTree(_detached(element)))


def _detached(element: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(element))
