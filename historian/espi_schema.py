"""The XML schemas an exchange feed is checked against: NAESB ESPI's own, and our profile.

ESPI's schema (``espi.xsd``, NAESB REQ.21 version 0.7.20121113, with the Atom 1.0 schema it
imports and the W3C's ``xml.xsd`` that Atom imports) is not copied into this repository: it is
the copy the OpenADR 2.0b schema set carries (``oadr_greenbutton.xsd``, ``oadr_atom.xsd``,
``oadr_xml.xsd``), as the OpenLEADR package installs it — a dependency for these files only,
whose code is never imported (docs/exchange.md, "Which standard"). The imports between them
are relative, so validating never touches the network.

:func:`standard_and_profile` is what a receiver checks a batch with: ESPI checks the feed and
its objects, and our profile (``exchange.xsd``) the elements of our namespace that ride in
ESPI's ``extension`` elements (``xs:anyType`` for ESPI alone).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from lxml import etree

ESPI = "http://naesb.org/espi"
PROFILE_NS = "urn:chaufferie:exchange:1"
PROFILE = Path(__file__).with_name("exchange.xsd")
CARRIER = "openleadr"  # the distribution that installs the standard's files
ESPI_FILE = "openleadr/schema/oadr_greenbutton.xsd"


class SchemaMissingError(RuntimeError):
    """The standard's schema files are not installed."""


def standard_file() -> Path:
    """The installed ESPI schema file; SchemaMissingError, saying what to install, if none."""
    try:
        path = Path(str(distribution(CARRIER).locate_file(ESPI_FILE)))
    except PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise SchemaMissingError(
            f"ESPI's schema ({ESPI_FILE}) is not installed: install the {CARRIER!r} package"
            " (a dependency of chaufferie, docs/exchange.md)"
        )
    return path


def _parser() -> etree.XMLParser:
    return etree.XMLParser(no_network=True, resolve_entities=False)


@cache
def _schema(imports: tuple[tuple[str, str], ...]) -> etree.XMLSchema:
    lines = "".join(f'<xs:import namespace="{ns}" schemaLocation="{Path(f).as_uri()}"/>' for ns, f in imports)
    driver = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{lines}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(driver, _parser(), base_url=str(PROFILE.parent) + "/"))


def standard() -> etree.XMLSchema:
    """ESPI's own schema (with Atom's): the extensions' contents are not checked (xs:anyType)."""
    return _schema(((ESPI, str(standard_file())),))


def standard_and_profile() -> etree.XMLSchema:
    """ESPI's schema and our profile: the extensions' elements are checked by the profile."""
    return _schema(((ESPI, str(standard_file())), (PROFILE_NS, str(PROFILE))))


def profile() -> etree.XMLSchema:
    """Our profile alone (needs no standard file): for the elements of our namespace."""
    return etree.XMLSchema(etree.parse(str(PROFILE), _parser()))


def batch_error(data: bytes) -> str | None:
    """Why ``data`` is not a batch feed valid by ESPI's schema and our profile (None: it is).
    A DOCTYPE is refused unread; the parser loads no DTD, expands no entity, reads no network."""
    if b"<!DOCTYPE" in data[:4096].upper():
        return "documents with a DOCTYPE are refused"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        document = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return f"not well-formed XML: {exc}"
    schema = standard_and_profile()
    if schema.validate(document):
        return None
    error = schema.error_log.last_error
    return f"not valid by ESPI and the profile: line {error.line}: {error.message}"
