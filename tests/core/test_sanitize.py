"""sanitize(): the one choke point for untrusted text.

Property tests run STREAMTUI_HYPOTHESIS_EXAMPLES examples each (default 300, about a second
for the file, so the suite stays quick on 2 cores); raise it for a deeper run, e.g.
``STREAMTUI_HYPOTHESIS_EXAMPLES=100000``. ``benchmarks/reliability.py`` runs the three
properties with 30,000 examples each.
"""

from __future__ import annotations

import os
import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamtui.core.text.sanitize import _clean, sanitize, sanitize_start

EXAMPLES = int(os.environ.get("STREAMTUI_HYPOTHESIS_EXAMPLES", "300"))
property_settings = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Characters that make sequences, break lines or must vanish: drawn often so that the
# generator builds real escape sequences, not only lone control characters.
INTERESTING = [
    "\x1b", "[", "]", "P", "X", "^", "_", "\\", "\x07", "\x9b", "\x9c", "\x9d", "\x90",
    "\x98", "\x9e", "\x9f", "\x85", "\x80", "\r", "\n", "\t", "\x0b", "\x0c", " ", "  ",
    "0", "2", "6", ";", "?", "J", "n", "c", "m", "(", "\u2028", "\u2029", "\ud800", "\udfff",
    "\x00", "\x7f", "\u061c", "a", "é", "\u00a0", "\u3000", *BIDI,
]  # fmt: skip
any_char = st.characters(codec=None, exclude_categories=())
hostile_text = st.lists(
    st.one_of(st.sampled_from(INTERESTING), any_char, st.text(any_char, max_size=4)),
    max_size=40,
).map("".join)

FORBIDDEN_INLINE = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI}\ud800-\udfff]")
FORBIDDEN_MULTILINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI}\ud800-\udfff]")


@property_settings
@given(hostile_text)
def test_hostile_text_comes_out_safe_and_stable(text: str) -> None:
    """Both modes: no control (bar newline and tab in bodies), bidi override or surrogate;
    single-line output folded and trimmed; sanitising again changes nothing."""
    inline = sanitize(text)
    assert not FORBIDDEN_INLINE.search(inline), ascii(inline)
    assert "  " not in inline and inline == inline.strip()
    assert sanitize(inline) == inline

    body = sanitize(text, multiline=True)
    assert not FORBIDDEN_MULTILINE.search(body), ascii(body)
    assert "\u2028" not in body and "\u2029" not in body
    assert sanitize(body, multiline=True) == body


@property_settings
@given(hostile_text)
def test_the_fast_path_returns_what_the_full_passes_would(text: str) -> None:
    """Text that needs no cleaning is returned as it is; that must never skip a change."""
    assert sanitize(text) == (_clean(text, False) if text else "")
    assert sanitize(text, multiline=True) == (_clean(text, True) if text else "")


@property_settings
@given(st.lists(hostile_text, max_size=6).map("".join), st.integers(min_value=0, max_value=40))
def test_the_start_of_a_text_is_the_start_of_the_whole(text: str, chars: int) -> None:
    """A summary sanitises only the start of a body (issue 15): it must be the start of what
    sanitising the whole gives, and at least ``chars`` long when the whole is."""
    whole = sanitize(text)
    start = sanitize_start(text, chars)
    assert whole.startswith(start), (ascii(text), ascii(start), ascii(whole))
    assert len(start) >= min(chars, len(whole))


def test_a_long_body_is_sanitised_only_at_its_start(monkeypatch: pytest.MonkeyPatch) -> None:
    body = ("word  \n\n" * 10_000) + "\x1b[2J"
    module = sys.modules[sanitize.__module__]
    cleaned: list[int] = []
    original = module.sanitize

    def counted(text: str, *, multiline: bool = False) -> str:
        cleaned.append(len(text))
        return original(text, multiline=multiline)

    monkeypatch.setattr(module, "sanitize", counted)
    assert sanitize_start(body, 280) == sanitize(body)[:280]
    assert cleaned == [562]  # the start alone, not the 80,000 characters


# Printable: no control, surrogate, separator or bidi character inside a word.
printable_char = st.characters(
    codec=None,
    exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"),
    exclude_characters=BIDI + "\u061c",
)
words = st.lists(st.text(printable_char, min_size=1, max_size=8), max_size=12)


@property_settings
@given(words, st.sampled_from(["\n", "\t", "\n\n", " \t ", "  \n"]))
def test_printable_text_is_unchanged(parts: list[str], layout: str) -> None:
    line = " ".join(parts)
    assert sanitize(line) == line
    body = layout.join(parts)
    assert sanitize(body, multiline=True) == body


# -- explicit payloads ---------------------------------------------------------------------

PAYLOADS = {
    "osc52 clipboard, BEL": ("\x1b]52;c;aGVsbG8gd29ybGQ=\x07", ""),
    "osc52 clipboard, ST": ("\x1b]52;c;ZXZpbCBjbGlw\x1b\\", ""),
    "osc52 clipboard, 8-bit": ("\x9d52;c;ZXZpbA==\x9c", ""),
    "osc0 title, BEL": ("\x1b]0;pwned title\x07", ""),
    "osc2 title, ST": ("\x1b]2;pwned title\x1b\\", ""),
    "osc8 hyperlink": ("\x1b]8;;https://evil.example/x\x1b\\click\x1b]8;;\x1b\\", "click"),
    "dcs tmux passthrough": ("\x1bPtmux;\x1b\x1b]52;c;c2VjcmV0\x07\x1b\\", ""),
    "dcs decrqss": ("\x1bP$qm\x1b\\", ""),
    "apc kitty graphics": ("\x1b_Gf=100,a=T;QUFBQQ==\x1b\\", ""),
    "pm": ("\x1b^private message\x1b\\", ""),
    "sos": ("\x1bXstart of string\x1b\\", ""),
    "csi clear screen": ("\x1b[2J", ""),
    "csi cursor home": ("\x1b[H", ""),
    "csi cursor move": ("\x1b[10;20H\x1b[5A\x1b[3C", ""),
    "csi sgr": ("\x1b[1;31m", ""),
    "csi private mode": ("\x1b[?1049h\x1b[?25l", ""),
    "dsr cursor report": ("\x1b[6n", ""),
    "device attributes": ("\x1b[c", ""),
    "secondary device attributes": ("\x1b[>c", ""),
    "8-bit csi": ("\x9b2J\x9b6n", ""),
    "ris full reset": ("\x1bc", ""),
    "charset designation": ("\x1b(0\x1b(B", ""),
    "keypad mode": ("\x1b=\x1b>", ""),
    "bidi override": ("\u202egpj.exe\u202c", "gpj.exe"),
    "bidi isolates": ("\u2066\u2067\u2068x\u2069", "x"),
    "c1 and del": ("\x80\x8d\x99\x7f", ""),
}
LEAKS = ["52;", "aGVsbG8", "ZXZpb", "c2VjcmV0", "pwned", "evil.example", "tmux", "QUFB",
         "Gf=100", "private", "string", "[2J", "[6n", "[c", "1049", "$q"]  # fmt: skip


@pytest.mark.parametrize("multiline", [False, True], ids=["inline", "multiline"])
@pytest.mark.parametrize("payload, kept", PAYLOADS.values(), ids=list(PAYLOADS))
def test_escape_payload_is_removed_as_a_unit(payload: str, kept: str, multiline: bool) -> None:
    result = sanitize(f"before{payload}after", multiline=multiline)
    assert result == f"before{kept}after"
    assert "\x1b" not in result and "\x9b" not in result
    for leak in LEAKS:
        assert leak not in result


@pytest.mark.parametrize(
    "payload",
    ["\x1b]0;evil title", "\x1b]52;c;ZXZpbA==", "\x1bPtmux;stuff", "\x1b[", "\x9b", "\x1b"],
    ids=["osc", "osc52", "dcs", "csi", "8-bit csi", "esc"],
)
def test_unterminated_sequence_at_the_end_leaves_nothing(payload: str) -> None:
    assert sanitize(f"Title {payload}") == "Title"
    assert sanitize(f"Body {payload}", multiline=True) == "Body "


def test_unterminated_osc_does_not_swallow_the_following_lines() -> None:
    text = "first\x1b]0;evil title\nsecond line\nthird line"
    assert sanitize(text, multiline=True) == "first\nsecond line\nthird line"


def test_inline_folds_whitespace_and_line_breaks() -> None:
    assert sanitize("  a\tb\r\nc\u2028d\x85e  ") == "a b c d e"
    assert sanitize("a\x0bb\x0cc") == "abc"


def test_multiline_normalises_line_breaks_and_keeps_layout() -> None:
    assert sanitize("a\r\nb\rc\u2028d\u2029e\x85f", multiline=True) == "a\nb\nc\nd\ne\nf"
    assert sanitize("  keep\t tabs  \n\n  and spaces ", multiline=True) == (
        "  keep\t tabs  \n\n  and spaces "
    )


def test_lone_surrogates_become_replacement_characters() -> None:
    assert sanitize("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    # A surrogate-escaped byte from a file name can be encoded after sanitising.
    sanitize("bad\udcff.txt").encode("utf-8")


def test_empty_and_blank_text() -> None:
    assert sanitize("") == ""
    assert sanitize(" \t\n ") == ""
    assert sanitize("", multiline=True) == ""


def test_markup_lookalikes_are_plain_text_and_kept() -> None:
    # Markup safety is the renderer's job (Content/Text objects); sanitize keeps the text.
    text = "[bold]x[/] [@click=app.quit]y[/]"
    assert sanitize(text) == text
