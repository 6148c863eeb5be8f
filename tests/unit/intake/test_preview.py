"""The preview's start time in words: the permitted window it falls in, by purpose."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dispatcher.domain.status import Purpose
from dispatcher.intake.preview import preview, starts_in_words
from dispatcher.settings import Settings

BOGOTA = ZoneInfo("America/Bogota")
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=BOGOTA)  # a Wednesday


def settings() -> Settings:
    return Settings(send_window="08:00-21:00", timezone="America/Bogota")  # type: ignore[call-arg]


def test_a_start_inside_the_window_says_so() -> None:
    assert starts_in_words(settings(), Purpose.TRANSACTIONAL, None, NOW) == (
        "Starts now: inside the permitted window (08:00-21:00 that day)."
    )
    later = datetime(2026, 12, 2, 20, 30, tzinfo=BOGOTA)
    assert starts_in_words(settings(), Purpose.TRANSACTIONAL, later, NOW) == (
        "Starts 2026-12-02 20:30 GMT-5: inside the permitted window (08:00-21:00 that day)."
    )


def test_a_start_outside_the_window_says_why_and_when_it_goes_instead() -> None:
    evening = datetime(2026, 12, 2, 20, 30, tzinfo=BOGOTA)
    assert starts_in_words(settings(), Purpose.COMMERCIAL, evening, NOW) == (
        "Asked for 2026-12-02 20:30 GMT-5, but Ley 2300 allows commercial messages "
        "07:00-19:00 on weekdays only: it starts 2026-12-03 08:00 GMT-5."
    )
    sunday = datetime(2026, 12, 6, 10, 0, tzinfo=BOGOTA)
    assert "on Sundays: it starts 2026-12-07 08:00 GMT-5" in starts_in_words(
        settings(), Purpose.COLLECTION, sunday, NOW
    )


def test_a_sample_cut_mid_line_previews_its_whole_lines_and_a_bad_number_column_is_a_problem() -> (
    None
):
    sample = ("numero,nombre\n" + "".join(f"310211{i:04d},N{i}\n" for i in range(9000))).encode()
    shown = preview("Hola {{nombre}}", sample=sample[: 64 * 1024 + 7])
    assert [r["text"] for r in shown.rows] == [f"Hola N{i}" for i in range(5)]
    wrong = preview("Hola", sample=b"numero,nombre\n3102111111,Ana\n", number_column="tel")
    assert wrong.rows == [] and "number_column='tel'" in wrong.problems[0]
    assert wrong.columns == [] or wrong.columns == ["numero", "nombre"]


def test_stray_braces_are_a_problem_and_the_text_is_still_measured() -> None:
    for message in ("Hola {{{nombre}", "Hola }}", "{{{{"):
        shown = preview(message, sample=b"celular,nombre\n3102111111,Ana\n")
        assert "not a placeholder" in shown.problems[0], message
        assert shown.message.chars == len(message)
