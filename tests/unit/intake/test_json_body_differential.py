"""``intake/json_body`` (our own streaming reader) against ``json.loads``: a document of
the campaign's shape gives the same fields and numbers; anything else is a 4xx problem
(``BadBody``), never another exception."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatcher.intake.json_body import BadBody, JsonCampaign

# No lone surrogates: the reader refuses those on purpose (they cannot be stored as UTF-8).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
NUMBERS = st.one_of(TEXT, st.integers(min_value=0, max_value=10**14))
# Field names of at most 20 characters: escaped (\\ud83d\\ude00) still under the reader's 256.
KEYS = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
FIELDS = st.dictionaries(KEYS.filter(lambda k: k != "recipients"), SCALARS, max_size=5)


@st.composite
def documents(draw: st.DrawFn) -> tuple[bytes, dict[str, Any]]:
    fields = draw(FIELDS)
    recipients = draw(st.lists(NUMBERS, max_size=30))
    doc = dict(fields)
    # the list anywhere among the fields
    at = draw(st.integers(min_value=0, max_value=len(fields)))
    items = list(doc.items())
    items.insert(at, ("recipients", recipients))
    ordered = dict(items)
    indent = draw(st.sampled_from([None, 0, 2]))
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,\n", " :\t")]))
    text = json.dumps(
        ordered,
        ensure_ascii=draw(st.booleans()),
        indent=indent,
        separators=None if indent is not None else separators,
    )
    return text.encode(), ordered


def _read(body: bytes) -> tuple[dict[str, Any], int, list[tuple[int, str]]]:
    campaign = JsonCampaign(io.BytesIO(body))
    fields, count, _digest = campaign.fields()
    return fields, count, list(campaign.recipients())


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(documents())
def test_a_campaign_document_reads_as_json_loads_reads_it(
    doc: tuple[bytes, dict[str, Any]],
) -> None:
    body, _made = doc
    expected = json.loads(body)
    fields, count, recipients = _read(body)
    numbers = expected.pop("recipients")
    assert fields == {**expected, "recipients": True}
    assert count == len(numbers)
    assert [i for i, _ in recipients] == list(range(1, len(numbers) + 1))
    # strings as they are; numbers as written (json.dumps wrote them)
    assert [n for _, n in recipients] == [
        v if isinstance(v, str) else json.dumps(v) for v in numbers
    ]


def _mutations() -> st.SearchStrategy[bytes]:
    """Valid documents, cut short, with a byte replaced, inserted or dropped."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        body, _ = draw(documents())
        if not body:
            return body
        at = draw(st.integers(min_value=0, max_value=len(body) - 1))
        byte = bytes([draw(st.integers(min_value=0, max_value=255))])
        how = draw(st.sampled_from(["cut", "replace", "insert", "drop"]))
        if how == "cut":
            return body[:at]
        if how == "replace":
            return body[:at] + byte + body[at + 1 :]
        if how == "insert":
            return body[:at] + byte + body[at:]
        return body[:at] + body[at + 1 :]

    return mutate()


ANYTHING = st.one_of(
    _mutations(),
    st.binary(max_size=200),
    st.recursive(SCALARS, lambda c: st.lists(c) | st.dictionaries(TEXT, c), max_leaves=8).map(
        lambda v: json.dumps(v).encode()
    ),
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(ANYTHING)
def test_anything_else_is_a_4xx_problem_never_a_crash(body: bytes) -> None:
    try:
        fields, count, recipients = _read(body)
    except BadBody as exc:
        status = exc.status
        assert 400 <= status < 500
        return
    # Read without a problem: then it is JSON of the campaign's shape, read as json.loads
    # reads it.
    expected = json.loads(body)
    assert isinstance(expected, dict)
    numbers = expected.pop("recipients", None)
    assert {k: v for k, v in fields.items() if k != "recipients"} == expected
    if numbers is not None:
        assert fields["recipients"] is True and count == len(numbers)
        assert len(recipients) == len(numbers)
        assert all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in numbers)
