"""The learned out-of-scope veto (knowledge/veto.py, knowledge/veto.yaml): a question worded like
the off-topic ones is refused where the hand-made lists say nothing, an in-scope look-alike is
still answered, and the model file is validated (questions written for these tests, not taken
from the evaluation sets)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from criteria.loader import require_catalogue
from knowledge.ask import build_set_index
from knowledge.chat import read_message
from knowledge.loader import require_entries
from knowledge.schema import Entry
from knowledge.search import SearchIndex
from knowledge.veto import NO_VETO, Veto, default_veto, features, load_veto
from tests.searching import answered_first, decided

# Off topic (an allowance, when an inspection comes and who is in it, the Party committee's
# year-end rating), in words the criteria share: without the veto search answers them (a party
# cell, "chi bộ", is now in the lexicon's off-topic list: the lists alone refuse it).
WORDED_OFF_TOPIC = [
    "Công chức một cửa được bồi dưỡng bao nhiêu tiền một tháng ạ?",
    "Đoàn kiểm tra của tỉnh về huyện mình ngày nào, gồm những ai ạ?",
    "Đảng ủy xã đánh giá xếp loại cuối năm theo mấy mức, ai duyệt ạ?",
]

# In scope, in the same words (công chức, một cửa, biên chế, bao nhiêu…).
LOOK_ALIKES = [
    ("Biên chế công chức của huyện vượt số được giao thì tiêu chí biên chế bị trừ bao nhiêu "
     "điểm ạ?", "4.2.1"),
    ("Công chức một cửa được bố trí thế nào thì tiêu chí bộ phận một cửa mới đạt điểm tối đa "
     "ạ?", "3.3.1"),
    ("Tỷ lệ hồ sơ giải quyết đúng hạn của huyện tính thế nào ạ?", "3.4.1"),
]


@pytest.fixture(scope="module")
def unvetoed() -> SearchIndex:
    catalogue = require_catalogue()
    entries = require_entries(None, catalogue.codes_by_set())
    return build_set_index(catalogue, entries, veto=NO_VETO)


@pytest.mark.parametrize("question", WORDED_OFF_TOPIC)
def test_a_question_worded_off_topic_is_refused(
    index: SearchIndex, unvetoed: SearchIndex, question: str
) -> None:
    assert unvetoed.search(question).decision != "none"  # the lists alone let it through
    decided(index, question, "none")


@pytest.mark.parametrize(("question", "code"), LOOK_ALIKES)
def test_an_in_scope_look_alike_is_still_answered(
    index: SearchIndex, question: str, code: str
) -> None:
    answered_first(index, question, code)


def test_the_veto_leaves_a_question_that_names_a_code_alone() -> None:
    # A veto that refuses everything it is shown: a question naming a criterion's code is
    # still answered with that criterion; the same ask without the code is refused, also when
    # it uses the assessment's own words (off-topic questions borrow them).
    catalogue = require_catalogue()
    entries = require_entries(None, catalogue.codes_by_set())
    always = Veto(bias=10.0, threshold=0.5, weights={"a:zzz": 1.0})
    vetoed = build_set_index(catalogue, entries, veto=always)
    answered_first(vetoed, "Tiêu chí 3.4.1 tính điểm thế nào ạ?", "3.4.1")
    plain = "Hồ sơ giải quyết sớm hơn hẹn có được tính là đúng hạn không ạ?"
    assert build_set_index(catalogue, entries, veto=NO_VETO).search(plain).decision != "none"
    decided(vetoed, plain, "none")


def test_a_ruling_that_matches_closely_is_not_vetoed() -> None:
    # A veto that refuses everything: a question answered by the province through the bot is
    # still answered with that ruling (escalated questions are the unusual ones); without the
    # ruling the same question is refused.
    catalogue = require_catalogue()
    entries = require_entries(None, catalogue.codes_by_set())
    always = Veto(bias=10.0, threshold=0.5, weights={"a:zzz": 1.0})
    ruling = Entry(
        id="ruling-veto",
        question="Cán bộ một cửa nghỉ thai sản thì hồ sơ chuyển người khác xử lý có bị tính trễ "
        "hạn không?",
        answer="Không, nếu người thay thế giải quyết trong hạn (Sở Nội vụ trả lời).",
        criteria=("3.4.1",),
        source="Sở Nội vụ trả lời",
    )
    question = "cán bộ một cửa nghỉ thai sản, hồ sơ chuyển người khác xử lý có tính trễ hạn ko"
    with_ruling = build_set_index(catalogue, entries, extra=[ruling], veto=always)
    result = with_ruling.search(question)
    assert result.decision != "none"
    assert result.results[0].entry_id == "ruling-veto"
    decided(build_set_index(catalogue, entries, veto=always), question, "none")


# Ours, but refused by a hand-made bar (a building permit is an off-topic phrase of the lexicon):
# the veto finds it plainly one of ours, so the likeliest criteria are offered instead.
OURS_REFUSED_BY_THE_LISTS = (
    "Phòng Kinh tế vẫn để dân nộp hồ sơ cấp phép xây dựng thẳng lên phòng, không qua bộ phận "
    "một cửa thì có bị trừ điểm không ạ?"
)


def test_a_question_the_veto_finds_ours_is_clarified_not_refused(
    index: SearchIndex, unvetoed: SearchIndex
) -> None:
    decided(unvetoed, OURS_REFUSED_BY_THE_LISTS, "none")  # the lists alone refuse it
    result = decided(index, OURS_REFUSED_BY_THE_LISTS, "clarify")
    assert 2 <= len(result.results) <= 3
    assert "3.3.2" in result.results[0].criterion_codes, result.to_json()


def test_only_the_veto_s_judgement_lifts_a_refusal(index: SearchIndex) -> None:
    # A model that finds everything in scope lifts even an off-topic question's refusal; the
    # shipped one keeps it refused: the lists' "none" stands unless the model disagrees.
    catalogue = require_catalogue()
    entries = require_entries(None, catalogue.codes_by_set())
    question = "Lương cơ sở năm nay tăng lên bao nhiêu ạ?"
    never = Veto(bias=-10.0, threshold=1.0, weights={"a:zzz": 1.0})
    lenient = build_set_index(catalogue, entries, veto=never)
    assert decided(lenient, question, "clarify").results
    decided(index, question, "none")


def test_features_are_the_asks_words_pairs_and_the_situations_words() -> None:
    msg = read_message(
        "Dạ chào anh chị, xã em có 3 hồ sơ trễ. Cho em hỏi lương cơ sở bao nhiêu ạ?"
    )
    got = features(msg.tokens)
    assert {"a:luong", "b:luong_co", "a:bao", "s:hs", "s:<num>"} <= got
    assert not any(f.endswith(":da") or f.endswith(":chao") for f in got)  # fillers left out


def test_the_veto_acts_only_at_its_threshold() -> None:
    toks = read_message("lương cơ sở bao nhiêu").tokens
    veto = Veto(bias=-2.0, threshold=0.9, weights={"a:luong": 1.0})
    assert math.isclose(veto.probability(toks), 1 / (1 + math.exp(1.0)))
    assert not veto.refuses(toks)
    assert Veto(bias=-2.0, threshold=0.2, weights={"a:luong": 1.0}).refuses(toks)
    assert not NO_VETO.refuses(toks)


def test_the_shipped_model_is_valid_and_small() -> None:
    veto = default_veto()
    assert veto.active and 0.5 <= veto.threshold <= 1.0
    assert len(veto.weights) < 20_000


def test_a_broken_model_file_is_located(tmp_path: Path) -> None:
    path = tmp_path / "veto.yaml"
    path.write_text(
        "version: 1\ntrained_on: [tuning2]\nthreshold: 0.9\nbias: -1.0\nweights:\n"
        '  "a:luong": 1.2\n  "a:phi": nhiều\n',
        encoding="utf-8",
    )
    veto, issues = load_veto(path)
    assert veto is None
    assert [(i.line, i.field) for i in issues] == [(7, "weights.a:phi")], [str(i) for i in issues]
