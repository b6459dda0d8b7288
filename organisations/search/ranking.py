"""What both engines add to their text rank: exact names, acronyms and alternative names first."""

from django.db.models import Case, FloatField, Q, Value, When
from django.db.models.functions import Concat, Lower, Replace, StrIndex
from django.db.models.lookups import Exact, GreaterThan

# Ranks are on a 0–1 scale on both engines; these bonuses put exact names first.
EXACT_NAME_BONUS = 2.0
NAME_START_BONUS = 1.0


def name_bonus(parsed):
    """EXACT_NAME_BONUS when the query is the name, a bracketed part of it ("(DHSC)") or one of
    the semicolon-separated alternative names ("LTHT", "EMIS"); NAME_START_BONUS when the name
    starts with the query. String positions rather than LIKE, so the query needs no escaping and
    each row costs little. A query with syntax (phrases, exclusions, OR) gets no bonus."""
    text = parsed.text.strip('"').lower()
    if parsed.has_syntax or not text:
        return Value(0.0)
    name = Lower("name")
    alternatives = Concat(
        Value(";"), Replace(Lower("alternative_names"), Value("; "), Value(";")), Value(";")
    )

    def at(haystack, needle):
        return StrIndex(haystack, Value(needle))

    return Case(
        When(
            Q(Exact(name, text))
            | Q(GreaterThan(at(name, f"({text})"), 0))
            | Q(GreaterThan(at(alternatives, f";{text};"), 0)),
            then=Value(EXACT_NAME_BONUS),
        ),
        When(
            Q(Exact(at(name, f"{text} "), 1)) | Q(Exact(at(name, f"{text},"), 1)),
            then=Value(NAME_START_BONUS),
        ),
        default=Value(0.0),
        output_field=FloatField(),
    )
