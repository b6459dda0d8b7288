"""What both engines add to their text rank: exact names, acronyms and alternative names first,
and the members of an initiative the query names."""

from django.db.models import Case, Exists, F, FloatField, OuterRef, Q, Value, When
from django.db.models.functions import Concat, Lower, Replace, StrIndex
from django.db.models.lookups import Exact, GreaterThan

from .query import STOP_WORDS

# Ranks: a tier for where the whole query matched (names 3, topics 2, summary 1, elsewhere 0),
# half the engine's text rank (0–1), and these bonuses.
EXACT_NAME_BONUS = 2.0
NAME_START_BONUS = 1.0
# Above any mention outside the names (tier 2 and the spread), below a match in the names.
MEMBER_BONUS = 2.5


def name_texts(parsed):
    """The texts a name may equal: the query as typed, and its words without the stop words at
    its ends ("the university of leeds" is University of Leeds)."""
    typed = parsed.text.strip('"').lower()
    words = [word for word, _exact in parsed.sequence]
    while words and words[0] in STOP_WORDS:
        words.pop(0)
    while words and words[-1] in STOP_WORDS:
        words.pop()
    return [text for text in dict.fromkeys([typed, " ".join(words)]) if text]


def lowered_names(model):
    """(the lower-cased name, the lower-cased alternative names and legal name each between
    semicolons) as expressions: the columns of a model that stores them (the narrow table of
    published rows, SearchRow.STORED_NAMES; organisations/search/ddl.py writes them with the same
    functions), or computed from the organisation's own columns."""
    if getattr(model, "STORED_NAMES", False):
        return F("name_lower"), F("other_names")
    # The alternative names and the legal name, each between semicolons.
    alternatives = Concat(
        Value(";"),
        Replace(Lower("alternative_names"), Value("; "), Value(";")),
        Value(";"),
        Lower("legal_name"),
        Value(";"),
    )
    return Lower("name"), alternatives


def name_bonus(parsed, model=None):
    """EXACT_NAME_BONUS when the query is the name, a bracketed part of it ("(DHSC)"), one of the
    semicolon-separated alternative names ("LTHT", "EMIS") or the legal name; NAME_START_BONUS when the name
    starts with the query. String positions rather than LIKE, so the query needs no escaping and
    each row costs little. A query with syntax (phrases, exclusions, OR) gets no bonus."""
    texts = name_texts(parsed)
    if parsed.has_syntax or not texts:
        return Value(0.0)
    name, alternatives = lowered_names(model)

    def at(haystack, needle):
        return StrIndex(haystack, Value(needle))

    exact, start = Q(), Q()
    for text in texts:
        exact |= (
            Q(Exact(name, text))
            | Q(GreaterThan(at(name, f"({text})"), 0))
            | Q(GreaterThan(at(alternatives, f";{text};"), 0))
        )
        start |= Q(Exact(at(name, f"{text} "), 1)) | Q(Exact(at(name, f"{text},"), 1))
    return Case(
        When(exact, then=Value(EXACT_NAME_BONUS)),
        When(start, then=Value(NAME_START_BONUS)),
        default=Value(0.0),
        output_field=FloatField(),
    )


def member_bonus(queryset, initiatives):
    """MEMBER_BONUS for the members of the initiatives a query names ("Nexus members")."""
    if not initiatives:
        return Value(0.0)
    membership = queryset.model.membership_model()
    members = membership.objects.filter(organisation_id=OuterRef("pk"), initiative_id__in=initiatives)
    return Case(
        When(Exists(members), then=Value(MEMBER_BONUS)), default=Value(0.0), output_field=FloatField()
    )


# Where the whole query matched, best first: names (A); names and topics (B); and the summary (C).
TIERS = (("A", 3.0), ("AB", 2.0), ("ABC", 1.0))
# A little for each other kind of field that holds the whole query on its own.
SPREAD = (("B", 0.1), ("C", 0.1), ("D", 0.1))
# Up to this much for the share of the query's terms found in the names.
NAME_COVERAGE = 0.5
# For the words of the query, in their order, in the names ("university of leeds").
PHRASE_IN_NAMES = 0.5
# For the query's own words as written, anywhere: a match through the thesaurus or a stem alone
# comes after one of the words the visitor typed.
AS_WRITTEN = 0.3


def relevance(plan, within):
    """The rank both engines give a match, from facts both establish the same way, so that they
    order results alike: the tier, the spread, the share of terms in the names and the query as a
    phrase in the names. `within(weights, terms=None)` is the engine's condition that the plan (or
    every one of these terms) matches in fields of those weights. Ties are broken by name."""
    tier = Case(
        *(When(within(weights), then=Value(score)) for weights, score in TIERS),
        default=Value(0.0),
        output_field=FloatField(),
    )
    rank = tier
    for weights, score in SPREAD:
        rank += Case(When(within(weights), then=Value(score)), default=Value(0.0), output_field=FloatField())
    terms = plan.positive
    if len(terms) > 1:
        share = NAME_COVERAGE / len(terms)
        for term in terms:
            rank += Case(
                When(within("A", terms=[term]), then=Value(share)),
                default=Value(0.0),
                output_field=FloatField(),
            )
    written = plan.as_written()
    if written:
        rank += Case(
            When(within("ABCD", terms=written), then=Value(AS_WRITTEN)),
            default=Value(0.0),
            output_field=FloatField(),
        )
    phrase = plan.phrase()
    if phrase is not None:
        rank += Case(
            When(within("A", terms=[phrase]), then=Value(PHRASE_IN_NAMES)),
            default=Value(0.0),
            output_field=FloatField(),
        )
    return rank
