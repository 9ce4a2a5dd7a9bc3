"""One table of evidence kinds (portfolio/evidence/types.py) that the models, the
questions, the pages and the progress engine all read."""

from portfolio.evidence import kinds
from portfolio.evidence import types
from portfolio.evidence.models import KINDS as COLUMN_KINDS
from portfolio.progress import engine as progress


def test_every_reader_takes_its_kinds_from_the_one_table():
    assert COLUMN_KINDS == types.NAMES
    assert kinds.KIND_LABELS == types.LABELS
    assert kinds.WBA_KINDS == types.WBA_KINDS == ("dops", "oce", "cbd")
    assert progress.KIND_LABELS == types.WORDS
    assert progress.ASSESSMENT_KINDS == ("dops", "oce", "cbd", "msf")


def test_every_kind_has_its_questions_and_words():
    assert len(types.KINDS) >= 9
    for name, kind in types.KINDS.items():
        assert kind.label and kind.singular and kind.plural, name
        kinds.text_fields(name)  # every kind has a question list, maybe empty
    assert set(types.WBA_KINDS) <= set(types.ASSESSMENT_KINDS)
