"""Every string a person can see is translated into every language, with nothing fuzzy."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from django.conf import settings

REPO = Path(settings.REPO_DIR)
LOCALE = Path(settings.LOCALE_PATHS[0])
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "gettext_lazy": None,
    "ngettext_lazy": (1, 2),
    "pgettext_lazy": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|<[^>]+>")


@pytest.fixture(scope="module")
def source_messages() -> set[str]:
    """The msgids in the code and templates now, extracted as `make extract-messages` does."""
    with (REPO / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    messages = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(REPO / "src"), method_map, options_map, keywords=KEYWORDS
    ):
        messages.add(message[0] if isinstance(message, tuple) else message)
    return messages


def test_extraction_finds_the_strings_of_templates_and_code(source_messages):
    assert "Skip to main content" in source_messages  # a template
    assert "Patient experience officer" in source_messages  # Python, gettext_lazy
    assert len(source_messages) > 200


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES if code != "en"])
def test_every_string_is_translated_and_none_is_fuzzy(language, source_messages):
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    with path.open("rb") as po_file:
        catalogue = read_po(po_file, locale=language)
    translated = {}
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid[:70]!r}")
        elif not all(strings):
            problems.append(f"untranslated: {msgid[:70]!r}")
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) != set(PLACEHOLDER.findall(msgid)):
                problems.append(f"placeholders or tags differ: {msgid[:70]!r}")
        translated[msgid] = strings
    missing = sorted(source_messages - set(translated))
    problems += [f"missing (run make extract-messages): {msgid[:70]!r}" for msgid in missing]
    assert not problems, f"{path.relative_to(REPO)}:\n" + "\n".join(problems)
