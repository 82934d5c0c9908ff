"""The one sentence segmenter: where sentences end in the text case studies are made of, and the numbered form a
prompt shows. A wrong cut here is a wrong citation id for a model and a wrong evidence span for a reviewer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trendsum.domain.sentences import Sentence, numbered, segment


def texts(text: str) -> list[str]:
    return [s.text for s in segment(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # abbreviations a full stop after which ends nothing
        ("Residents used it, e.g. Mrs Patel and Mr. Okoro. The pilot ended.",
         ["Residents used it, e.g. Mrs Patel and Mr. Okoro.", "The pilot ended."]),
        ("It helped, i.e. The Wardens used it less. Then it closed.",
         ["It helped, i.e. The Wardens used it less.", "Then it closed."]),
        ("Dr. Amara Bello led it at St. Columba's school. Staff liked it.",
         ["Dr. Amara Bello led it at St. Columba's school.", "Staff liked it."]),
        ("Cllr. Price opened the hub. It is on Mill Road.", ["Cllr. Price opened the hub.", "It is on Mill Road."]),
        ("We moved to No. 10 Harbour Street. It was cheaper.",
         ["We moved to No. 10 Harbour Street.", "It was cheaper."]),
        ("Each visit takes approx. 40 minutes. We logged them all.",
         ["Each visit takes approx. 40 minutes.", "We logged them all."]),
        ("Cars vs. Buses was the question. Buses won.", ["Cars vs. Buses was the question.", "Buses won."]),
        ("Forms, letters, etc. Officers now use one screen.",
         ["Forms, letters, etc.", "Officers now use one screen."]),
        # initials continue a name; a sentence opener after them starts a new sentence
        ("The review by K. L. Morgan found gaps. Work began.",
         ["The review by K. L. Morgan found gaps.", "Work began."]),
        ("It was tested by the U.S. Digital Service first. Then locally.",
         ["It was tested by the U.S. Digital Service first.", "Then locally."]),
        ("The idea came from the U.K. The team adapted it.",
         ["The idea came from the U.K.", "The team adapted it."]),
        # amounts, versions, dates, addresses: a full stop inside a token is not an end
        ("It saved £1.2m and 4.5% of staff time in v2.0 of the tool. Queues fell.",
         ["It saved £1.2m and 4.5% of staff time in v2.0 of the tool.", "Queues fell."]),
        ("It went live on 12.03.2024 after 3.5 hours of downtime. Nobody noticed.",
         ["It went live on 12.03.2024 after 3.5 hours of downtime.", "Nobody noticed."]),
        ("Read more at https://example.org/a.b?x=1. Or e-mail help.desk@example.org. We reply fast.",
         ["Read more at https://example.org/a.b?x=1.", "Or e-mail help.desk@example.org.", "We reply fast."]),
        ("Savings grew in 2023. The board approved more.", ["Savings grew in 2023.", "The board approved more."]),
        # ellipses, questions, exclamations, closing quotes and brackets stay with their sentence
        ("We waited... Nothing came. Why? Money! Then \"it worked.\" (It still does.) Good.",
         ["We waited...", "Nothing came.", "Why?", "Money!", 'Then "it worked."', "(It still does.)", "Good."]),
        ("Staff said \u2018it is faster.\u2019 Managers agreed\u2026 Mostly.",
         ["Staff said \u2018it is faster.\u2019", "Managers agreed\u2026", "Mostly."]),
        ("It worked \u2026 in the end. Mostly.", ["It worked \u2026 in the end.", "Mostly."]),
        # a lower-case word after a full stop does not start a sentence
        ("The app. was slow at first. It improved.", ["The app. was slow at first.", "It improved."]),
        # run-in numbered lists are one sentence; a number alone is the start of what follows
        ("Outputs: 1. fewer calls; 2. shorter waits; 3. Lower cost.",
         ["Outputs: 1. fewer calls; 2. shorter waits; 3. Lower cost."]),
        ("Staff grew from 2 to 3. The rest stayed.", ["Staff grew from 2 to 3.", "The rest stayed."]),
        # a bullet inside a line starts an item
        ("Gains: \u2022 Faster replies \u2022 Fewer errors", ["Gains:", "Faster replies", "Fewer errors"]),
    ],
)  # fmt: skip
def test_sentence_ends_in_running_text(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_a_line_that_wraps_inside_a_paragraph_is_not_a_sentence_end() -> None:
    text = "The parish council worked with\nthe county council on a shared\nbooking system for halls.\nIt opened."
    assert texts(text) == [
        "The parish council worked with\nthe county council on a shared\nbooking system for halls.",
        "It opened.",
    ]


def test_list_items_of_every_kind_are_blocks_of_their_own_without_their_markers() -> None:
    text = (
        "What changed:\n\n- Fewer missed bins\n* Quicker repairs. Tenants noticed\n  within a week.\n"
        "\u2022 A new app\n1. Triage first\n2) Then repair\na) Tenants\n(b) Landlords\n(iv) Wardens\n-Volunteers"
    )
    sentences = segment(text)
    assert [s.text for s in sentences] == [
        "What changed:", "Fewer missed bins", "Quicker repairs.", "Tenants noticed\n  within a week.", "A new app",
        "Triage first", "Then repair", "Tenants", "Landlords", "Wardens", "Volunteers",
    ]  # fmt: skip
    assert sentences[2].paragraph == sentences[3].paragraph  # one item, two sentences
    assert len({s.paragraph for s in sentences}) == 10


def test_an_unindented_capitalised_line_after_an_item_starts_a_new_paragraph() -> None:
    text = "- The last item\nThe council then reviewed it.\n- next\n  carried on"
    assert texts(text) == ["The last item", "The council then reviewed it.", "next\n  carried on"]
    assert [s.paragraph for s in segment(text)] == [0, 1, 2]


def test_lines_without_markers_that_read_as_a_list_are_items() -> None:
    text = "Outputs include:\nDrafted letters\nMeeting notes\nPriority scores for each case\n\nAll are checked."
    assert texts(text) == ["Outputs include:", "Drafted letters", "Meeting notes", "Priority scores for each case",
                           "All are checked."]  # fmt: skip


def test_headings_markdown_and_bare() -> None:
    text = (
        "# Faster repairs\n\nSummary\n\nThe team cut waiting times.\n\n## What we did ##\n"
        "We built a form.\n\nLessons learnt\nStart small and test with tenants.\n\n**Results**\n\nQueues halved."
    )
    sentences = segment(text)
    assert [(s.text, s.heading) for s in sentences] == [
        ("# Faster repairs", True), ("Summary", True), ("The team cut waiting times.", False),
        ("## What we did ##", True), ("We built a form.", False), ("Lessons learnt", True),
        ("Start small and test with tenants.", False), ("**Results**", True), ("Queues halved.", False),
    ]  # fmt: skip
    assert [s.paragraph for s in sentences] == list(range(9))


def test_a_short_line_is_a_sentence_not_a_heading_when_nothing_follows_or_it_is_a_list_line() -> None:
    assert [s.heading for s in segment("Improved response times")] == [False]
    assert [s.heading for s in segment("The team met.\n\nThanks to all staff")] == [False, False]
    assert not any(s.heading for s in segment("Faster replies\nFewer errors\nLower cost"))
    # a long first line of a wrapped paragraph is no heading either
    assert [s.heading for s in segment("The borough's housing team and its partners in the voluntary sector\n"
                                       "Rebuilt the allocation process together.")] == [False]  # fmt: skip


def test_table_rows_are_one_sentence_each_and_separator_rows_are_dropped() -> None:
    text = "| Area | Saving |\n|---|---:|\n| Parking. Permits | £40k |\n\n---\n\nAfter the table."
    assert texts(text) == ["| Area | Saving |", "| Parking. Permits | £40k |", "After the table."]


def test_crlf_text_keeps_exact_offsets() -> None:
    text = "Title line\r\n\r\nFirst sentence wraps\r\nhere. Second one.\r\n- item one\r\n"
    sentences = segment(text)
    assert [s.text for s in sentences] == ["Title line", "First sentence wraps\r\nhere.", "Second one.", "item one"]
    assert sentences[0].heading
    assert all(text[s.start : s.end] == s.text for s in sentences)


def test_whitespace_and_decoration_only_give_no_sentences() -> None:
    assert segment("") == ()
    assert segment(" \n\t\r\n  \n") == ()
    assert segment("---\n\n***\n\n\u200b") == ()


def test_numbered_is_the_compact_prompt_form() -> None:
    text = "## Challenges\n\nThe old   system\nwas slow. Staff left.\n\n- One item\n- Two"
    assert numbered(segment(text)) == (
        "[1] ## Challenges\n\n[2] The old system was slow.\n[3] Staff left.\n\n[4] One item\n\n[5] Two"
    )
    assert numbered(()) == ""


def test_a_sentence_is_a_frozen_value() -> None:
    sentence = segment("One sentence here.")[0]
    assert sentence == Sentence(id=1, start=0, end=18, text="One sentence here.", paragraph=0, heading=False)
    with pytest.raises(AttributeError):
        sentence.text = "changed"  # type: ignore[misc]


_PIECES = st.sampled_from(
    ["The council", "e.g.", "Dr", "No.", "10", "£1.2m", "4.5%", "U.S.", "J.", "etc.", ".", "...", "\u2026", "?", "!",
     "\n", "\r\n", "\n\n", "- ", "* ", "1. ", "a) ", "# ", "| a | b |", "\u2022", " ", "  ", "\t", "\"", "\u2019",
     ")", "(", "It", "worked", "www.example.org", "\u200b", "word"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map(" ".join), st.text(max_size=60))
def test_spans_round_trip_ids_are_dense_and_the_result_is_deterministic(joined: str, noise: str) -> None:
    for text in (joined, noise, joined + noise):
        sentences = segment(text)
        assert [s.id for s in sentences] == list(range(1, len(sentences) + 1))
        for s in sentences:
            assert text[s.start : s.end] == s.text
            assert s.text == s.text.strip() and s.text
        assert [s.start for s in sentences] == sorted(s.start for s in sentences)
        assert all(a.end <= b.start for a, b in zip(sentences, sentences[1:]))
        paragraphs = [s.paragraph for s in sentences]
        assert paragraphs == sorted(paragraphs) and set(paragraphs) == set(range(len(set(paragraphs))))
        assert segment(text) == sentences


def test_text_without_sentence_ends_is_cut_into_bounded_pieces_at_spaces() -> None:
    """A 2 MB line of words must not become one 2 MB point, prompt line or highlight."""
    from trendsum.domain.sentences import MAX_SENTENCE_CHARS

    text = "Intro sentence here.\n\n" + " ".join(f"word{n}" for n in range(50_000)) + "\n"
    sentences = segment(text)
    assert len(sentences) > 200 and all(len(s.text) <= MAX_SENTENCE_CHARS for s in sentences)
    assert all(text[s.start : s.end] == s.text and not s.text[0].isspace() for s in sentences)
    assert " ".join(s.text for s in sentences[1:]) == text.split("\n\n")[1].strip()  # nothing lost, no word cut
    assert [s.id for s in sentences] == list(range(1, len(sentences) + 1))
