"""Setting a NiceGUI element's properties from data, safely.

``element.props("...")`` parses its argument like HTML attributes, so a string built from
data (a contact's name, a user name, a translated text with a quote) can close the attribute
and add one of its own: script injection. Here every value goes into the element's property
dictionary as it is, never parsed. Pages use ``.props()`` with constant strings only.
"""

from __future__ import annotations

from typing import TypeVar

from nicegui.element import Element

E = TypeVar("E", bound=Element)


def with_props(element: E, **values: str) -> E:
    """``element`` with each property set to its value (``aria_label`` → ``aria-label``)."""
    for name, value in values.items():
        element.props[name.replace("_", "-")] = value
    return element


def labelled(element: E, label: str) -> E:
    """``element`` with an accessible name (``aria-label``)."""
    return with_props(element, aria_label=label)
