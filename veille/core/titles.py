"""Theme titles a person would write: a short noun phrase per theme, in French and in English.

A theme's keywords ("Firm, LMS, LTI, région") say what its stories share but do not read as a name.
A title ("Migration vers un nouveau LMS", "AI tutors in universities") is built offline from the theme's
own material, as KeyBERT builds key phrases:

1. candidates: phrases of 1–3 content words taken from the titles and summaries of the theme's items,
   in the item's language, with at most one linking word inside ("formation *des* enseignants",
   "tuteurs IA *à* l'université"); a stop word, a number, punctuation or a conjugated verb form
   (French, by its lemma) ends a phrase, so no phrase starts or ends on one; a proper name (a run of
   words the texts write with a capital in running text) is never cut ("Open University", not
   "University"). Words are lemmatised (``simplemma``) so "tuteur" and "tuteurs" count as one.
2. scores: specificity to the theme (class-based TF-IDF over the themes' documents, as for keywords)
   plus closeness of the phrase's embedding to the theme's centroid in that language, plus a small
   bonus for two content words or more (a person names a theme with a phrase, not a word);
3. placement: a phrase's margin is its closeness to its theme's centroid minus its closeness to the
   nearest other theme of the week; phrases with a positive margin come first (a title nearer another
   theme would name that one), the others only after them;
4. diversity: MMR over the best candidates gives each theme a short ranked list of alternatives, so
   that no two themes of one week get the same title;
5. fallback: the most central headline of the theme, cut at its first separator and to six words,
   when its best phrase is misplaced and the headline is placed right, or when no phrase is close
   enough to the theme.

A French phrase opens on a word the texts write opening a run of content words ("badges numériques
vérifiables" gives "Badges …", never "Numériques vérifiables"), and French headlines' capitals are
trusted (they capitalise names only).

A French title comes from French items when the theme has a good enough French phrase, else from the
English ones (and the other way round): nothing is translated.

Pure: texts, vectors, stop words (``adapters.stopwords``) and an ``embed`` function in, titles out.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import simplemma
from numpy.typing import NDArray

Embed = Callable[[Sequence[str]], NDArray[np.float32]]

LANGUAGES = ("fr", "en")

#: Words that may link two content words inside a phrase (never at either end), per language.
LINK_WORDS: dict[str, frozenset[str]] = {
    "fr": frozenset({"de", "des", "du", "à", "au", "aux", "en", "pour", "sur", "et"}),
    "en": frozenset({"of", "for", "in", "on", "and"}),
}
#: Number words end a phrase as digits do ("trois minutes", "five-minute" stays: it is one word).
NUMBER_WORDS = frozenset(
    {
        "un",
        "une",
        "deux",
        "trois",
        "quatre",
        "cinq",
        "six",
        "sept",
        "huit",
        "neuf",
        "dix",
        "onze",
        "douze",
        "quinze",
        "vingt",
        "trente",
        "quarante",
        "cinquante",
        "soixante",
        "cent",
        "cents",
        "mille",
        "million",
        "millions",
        "milliard",
        "milliards",
        "premier",
        "première",
        "second",
        "seconde",
        "one",
        "two",
        "three",
        "four",
        "five",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "fifteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "hundred",
        "hundreds",
        "thousand",
        "thousands",
        "billion",
        "billions",
        "first",
        "third",
    }
)
#: Adverbs the stop-word lists miss, never a title's first or last word.
ADVERBS = frozenset(
    {"puis", "déjà", "toujours", "désormais", "bientôt", "already", "soon", "yet"}
    | {"inside", "outside", "behind", "beyond", "across", "among", "amid", "via", "versus", "without", "within"}
    | {"despite", "toward", "towards", "upon", "onto", "into", "after", "before", "since", "until", "unlike"}
    | {"contre", "malgré", "pendant", "parmi", "dès", "face", "autour", "auprès", "lorsque", "quand"}
)
#: English adjectives and adverbs the texts often write before a noun: never a title's last word ("Live
#: virtual", "Live online").
MODIFIERS = frozenset(
    {"online", "virtual", "live", "digital", "new", "free", "internal", "external", "hybrid", "blended"}
    | {"short", "long", "open", "global", "local", "national", "annual", "weekly", "daily", "monthly"}
    | {"real", "social", "soft", "hard", "public", "private", "senior", "junior", "remote", "mobile"}
)
#: English words after which the next word is a verb ("to hack", "will pick").
VERB_MARKERS = frozenset(
    {"to", "will", "can", "could", "should", "would", "may", "might", "must", "does", "did"}
    | {"who", "they", "we", "he", "she", "you"}
)
#: French adjectives that wait for their noun: never the last word of a cut headline ("ses premiers").
FR_MODIFIERS = frozenset(
    {"premiers", "premières", "derniers", "dernières", "nouveau", "nouvel", "nouvelle", "nouveaux", "nouvelles"}
    | {"grand", "grande", "grands", "grandes", "petit", "petite", "petits", "petites", "seul", "seule", "futurs"}
)
#: Articles a title never starts with ("Une licence hybride" is "Licence hybride").
ARTICLES = frozenset({"le", "la", "les", "l'", "un", "une", "des", "the", "a", "an"})
#: A compound adjective ("two-minute", "all-classroom", "in-person"): never a title's last word.
_COMPOUND_ADJECTIVE = re.compile(
    r"^(?:[a-z]+-(?:minute|second|hour|day|week|month|year|page|step|level|person|time|class|classroom))$"
    r"|^(?:all|in|on|off|one|two|three|four|five|six|ten|ninety|self|full|part|high|low|well)-"
)
#: Words after which an English word is a noun ("the cuts", "of barcamps"): a phrase ends on a noun, and
#: an English word never seen after one of them may be a verb ("Students pick", "onboarding cuts").
DETERMINERS = frozenset(
    {"the", "a", "an", "its", "their", "his", "her", "our", "your", "this", "these", "those", "each", "every"}
    | {"of", "for", "in", "on", "with", "from", "about", "at", "by"}
)
#: French infinitive endings: a verb is no title on its own ("Comprendre", "Réinventer").
_INFINITIVE = ("er", "ir", "dre", "oir", "ire", "tre")
#: An English word written right before an article is a verb ("keep the", "wants a"), but "a video a week".
_BEFORE_ARTICLE = re.compile(
    r"\b([a-z][\w'-]*) (?:the|a|an) (?!(?:week|day|month|year|time|minute|hour|second|term|semester)\b)",
    re.IGNORECASE,
)
_IRREGULAR_PLURALS = frozenset({"children", "men", "women", "people", "data", "media", "criteria", "feet", "teeth"})
#: How a linking word is keyed (``des`` and ``du`` are ``de``).
_LINK_KEY = {"des": "de", "du": "de", "d'": "de", "au": "à", "aux": "à"}

_TOKEN = re.compile(r"[\w'’-]+", re.UNICODE)
_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*", re.UNICODE)
_ELISION = re.compile(r"^([cdjlmnst]|qu|jusqu|lorsqu|puisqu)'", re.IGNORECASE)
_BREAKS = '.,;:!?()[]{}«»"|/–—…'
_SENTENCE_END = ".!?…:"
_BREAK = re.compile("[" + re.escape(_BREAKS) + "]")
_DIGIT_OR_UNDERSCORE = re.compile(r"[\d_]")
_SENTENCE_BREAK = re.compile("[" + re.escape(_SENTENCE_END) + "]")
#: Where a headline is cut when it is used as a title.
_HEADLINE_CUT = re.compile(r"\s+[:–—|-]\s+|\s*[?!;]\s*|\s*:\s+")


@dataclass(frozen=True)
class Doc:
    """One text of a theme: an item (or a story's items in one language) with its language."""

    title: str
    summary: str = ""
    lang: str = "en"
    unit: int | None = None  # the story it belongs to: a phrase counts once per story (copies repeat it)


@dataclass(frozen=True)
class Title:
    text: str
    lang: str  # the language of its words
    kind: str  # "phrase" or "headline"
    score: float
    alone: bool = True  # may be a title by itself: two words or more, or a proper name ("OpenCourseHub")
    #: closeness to its theme minus closeness to the nearest other theme of the week (None: not measured)
    margin: float | None = None


@dataclass(frozen=True)
class TitleParams:
    """Knobs, tuned on AG News and the demo corpus (see ``bench/titles.py``)."""

    spec_weight: float = 0.4  # weight of c-TF-IDF specificity (normalised to the theme's best)
    length_bonus: float = 0.12  # once, for a phrase of two content words or more
    min_cosine: float = 0.15  # below: the phrase is not about the theme (a headline may do better)
    relative_cosine: float = 0.6  # a phrase must be this close to the theme relative to its best phrase
    pair_ratio: float = 0.85  # a single word is paired ("A et B") with a next pick scoring this much
    pair_cosine: float = 0.4  # … and this close to it in meaning ("MOOC" / "open courses" 0.43)
    shortlist: int = 30  # candidates per theme (best c-TF-IDF first) that are embedded, at most
    shortlist_per_unit: int = 4  # … and 8 + this per story of the theme: a small theme has few good phrases
    alternatives: int = 6  # MMR picks kept per theme and language (dedupe across themes)
    diversity: float = 0.4  # MMR trade-off
    max_words: int = 6
    max_chars: int = 50
    summary_chars: int = 400  # summaries are read up to about this length
    max_docs: int = 60  # a theme's phrases come from at most this many of its most central docs per language


# ------------------------------------------------------------------------------------------ tokens


@dataclass
class _Tok:
    surface: str  # as written, elision removed
    lower: str
    kind: str  # "content" or "link"
    prefix: str = ""  # elided article or preposition written before it: "l'", "d'"
    start: bool = False  # first word of a sentence (its capital says nothing)
    lead: bool = True  # may start a phrase (a participle may not: "inversé", "lancée")
    after_det: bool = False  # written right after a determiner ("the", "a", "its")
    after_verb: bool = False  # written right after "to" or a modal verb: a verb ("to hack")
    before_article: bool = False  # written right before an article: a verb ("keep the", "wants a")
    tail: bool = True  # may end a phrase (an English past form may not: "handled")
    trusted: bool = False  # its capital (or its absence) is a choice of the writer


@cache
def _lemma(word: str, lang: str) -> str:
    if lang not in LANGUAGES:
        return word
    return str(simplemma.lemmatize(word, lang=lang)).lower()


@cache
def _is_acronym(word: str) -> bool:
    letters = [c for c in (word[:-1] if word.endswith("s") else word) if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)  # "MOOC", "MOOCs", "LMS"


_PARTICIPLE = ("é", "ée", "és", "ées", "i", "ie", "is", "ies", "u", "ue", "us", "ues", "ant", "ante", "ants", "antes")


def _verb_form(lower: str, lang: str) -> str:
    """ "verb" for a French conjugated verb ("tourne", "lance"), "participle" for a participle
    ("inversé", "formés"), "" otherwise: the lemma is an infinitive and the word is not its plural.
    English: "past" for a past form ("handled", "launched"). English present forms cannot be told
    from nouns this way ("hits")."""
    if lang == "en":
        lemma = _lemma(lower, lang)
        if lemma == lower or lower.endswith(("s", "ing")) or "-" in lower or lower in _IRREGULAR_PLURALS:
            return ""
        return "past" if lower.endswith("ed") else "irregular"  # "handled"; "built", "taught"
    if lang != "fr":
        return ""
    lemma = _lemma(lower, lang)
    if lemma == lower or not lemma.endswith(("er", "ir", "re", "oir")) or lower in (lemma + "s", lemma + "x"):
        return ""
    return "participle" if lower.endswith(_PARTICIPLE) else "verb"


def _tokens(text: str, lang: str, stops: frozenset[str]) -> list[_Tok | None]:
    """Word tokens of one text; ``None`` marks a break no phrase crosses."""
    links = LINK_WORDS.get(lang, frozenset())
    verbish = {m.group(1).lower() for m in _BEFORE_ARTICLE.finditer(text)} if lang == "en" else set()
    out: list[_Tok | None] = []
    position = 0
    sentence_start = True
    previous = ""
    for match in _TOKEN.finditer(text):
        between = text[position : match.start()]
        position = match.end()
        if between != " " and _BREAK.search(between):
            out.append(None)
            previous = ""
            if _SENTENCE_BREAK.search(between):
                sentence_start = True
        raw = match.group().replace("’", "'")
        after_det = previous in DETERMINERS
        after_verb = previous in VERB_MARKERS
        previous = raw.lower()
        starts = sentence_start
        sentence_start = False
        if _DIGIT_OR_UNDERSCORE.search(raw):
            out.append(None)
            continue
        prefix = ""
        elided = _ELISION.match(raw)
        if elided:
            prefix = elided.group(1).lower() + "'"
            raw = raw[elided.end() :]
            if prefix not in ("l'", "d'"):
                out.append(None)  # qu', n', s', c'… : a verb phrase follows
                prefix = ""
        if raw.lower().endswith("'s"):
            raw = raw[:-2]
        raw = raw.strip("'-")
        lower = raw.lower()
        if not _WORD.fullmatch(raw):
            out.append(None)
            continue
        if lower in links and not prefix:
            out.append(_Tok(raw, lower, "link", start=starts))
            continue
        form = "" if _is_acronym(raw) else _verb_form(lower, lang)  # "AI" is no verb
        if (
            (lower in stops and not _is_acronym(raw))  # "AI" is no French "ai"
            or lower in NUMBER_WORDS
            or lower in ADVERBS
            or len(lower) < 2
            or (len(lower) < 3 and not _is_acronym(raw))
            or form == "verb"
        ):
            out.append(None)
            continue
        tok = _Tok(
            raw,
            lower,
            "content",
            prefix,
            starts,
            lead=form not in ("participle", "irregular"),
            tail=form not in ("past", "irregular"),
        )
        tok.after_det = after_det
        tok.after_verb = after_verb and lang == "en"
        tok.before_article = lower in verbish  # "keep the", "wants a": a verb
        before = out[-1] if out else None
        if (
            lang == "en"
            and before is not None
            and before.kind == "content"
            and before.surface[:1].isupper()
            and (not before.start or any(c.isupper() for c in before.surface[1:]))  # a name, not a capital
            and not _is_acronym(before.surface)
            and raw[:1].islower()
            and lower.endswith("s")
            and _lemma(lower, lang) != lower
        ):
            tok.lead = tok.tail = False  # "OpenCourseHub ends …", "Brightline trains …": a name's verb
        out.append(tok)
    return out


# ----------------------------------------------------------------------------------------- phrases


@dataclass
class _Stats:
    """What the texts say about words: how they are written in running text."""

    capital: Counter[str] = field(default_factory=Counter)
    small: Counter[str] = field(default_factory=Counter)
    acronym: Counter[str] = field(default_factory=Counter)
    spelling: Counter[tuple[str, str]] = field(default_factory=Counter)
    camel: dict[str, Counter[str]] = field(default_factory=dict)  # spellings with an inner capital
    nouns: set[str] = field(default_factory=set)  # English lemmas ending a run after a determiner
    verbs: set[str] = field(default_factory=set)  # English lemmas seen after "to" or a modal verb
    np_words: set[str] = field(default_factory=set)  # English lemmas seen in a run after a determiner
    heads: set[str] = field(default_factory=set)  # French words (as written) seen opening a run of content words

    def observe(self, toks: Sequence[_Tok | None], trust_case: bool, lang: str = "en") -> None:
        for n, tok in enumerate(toks):
            if tok is None or tok.kind != "content":
                continue
            before = toks[n - 1] if n else None
            if lang == "fr" and (before is None or before.kind != "content" or tok.prefix):
                self.heads.add(tok.lower)  # "des badges numériques": "badges" opens a run, "numériques" not
            if tok.after_det:  # "their AI tutors": the last word of the run after a determiner is a noun
                end = n
                while end + 1 < len(toks) and (nxt := toks[end + 1]) is not None and nxt.kind == "content":
                    end += 1
                last = toks[end]
                if last is not None and not last.before_article:
                    self.nouns.add(_lemma(last.lower, "en"))
                for k in range(n, end + 1):
                    inner = toks[k]
                    if inner is not None:
                        self.np_words.add(_lemma(inner.lower, "en"))
            tok.trusted = trust_case and not tok.start
            if tok.after_verb or tok.before_article:
                self.verbs.add(_lemma(tok.lower, "en"))
            if any(c.isupper() for c in tok.surface[1:]) and not _is_acronym(tok.surface):
                self.camel.setdefault(tok.lower, Counter())[tok.surface] += 1
            if _is_acronym(tok.surface):
                self.acronym[tok.lower] += 1
            elif trust_case and not tok.start:
                if tok.surface[:1].isupper():
                    self.capital[tok.lower] += 1
                    self.spelling[(tok.lower, tok.surface)] += 1
                else:
                    self.small[tok.lower] += 1

    def is_name(self, lower: str) -> bool:
        return (
            self.capital[lower] > self.small[lower]
            or self.acronym[lower] > self.small[lower]
            or (not self.small[lower] and self._camel(lower) is not None)
        )

    def _camel(self, lower: str) -> str | None:
        """A spelling with a capital inside the word ("OpenCourseHub"): a name wherever it stands."""
        forms = self.camel.get(lower)
        return forms.most_common(1)[0][0] if forms else None

    def written(self, lower: str) -> str:
        if self.acronym[lower] > self.small[lower] + self.capital[lower]:
            return lower.upper()
        camel = self._camel(lower) if not self.small[lower] else None
        if camel is not None:
            return camel
        if self.capital[lower] > self.small[lower]:
            forms = [(n, s) for (w, s), n in self.spelling.items() if w == lower]
            return max(forms)[1] if forms else lower.capitalize()
        return lower


def _title_cased(title: str) -> bool:
    """An English-style headline that capitalises its words: its capitals say nothing about names."""
    words = [w for w in re.findall(r"[^\W\d_]{4,}", title)]
    return len(words) >= 3 and sum(w[:1].isupper() for w in words[1:]) >= 0.6 * (len(words) - 1)


def _phrases(toks: Sequence[_Tok | None], stats: _Stats, lang: str) -> Iterable[tuple[tuple[str, ...], list[_Tok]]]:
    """Candidate phrases of one token list: (key, tokens)."""
    n = len(toks)
    for i in range(n):
        first = toks[i]
        if first is None or first.kind != "content" or not first.lead:
            continue
        before = toks[i - 1] if i else None
        if (
            before is not None
            and before.kind == "content"
            and stats.is_name(first.lower)
            and stats.is_name(before.lower)
            and not first.prefix
        ):
            continue  # inside a proper name
        # right after another content word, three words are a cut of a longer run ("Chain simulation game")
        mid = before is not None and before.kind == "content" and not first.prefix
        words: list[_Tok] = [first]
        links = 0
        yield from _emit(words, toks, i, stats, lang, mid)
        for j in range(i + 1, min(n, i + 5)):
            tok = toks[j]
            if tok is None:
                break
            if tok.kind == "link":
                if words[-1].kind == "link" or links:
                    break
                links += 1
                words.append(tok)
                continue
            if tok.prefix == "l'" and words[-1].kind == "content":
                break  # "transforme l'école": a verb and its object
            if tok.prefix == "d'":
                if words[-1].kind == "link" or links:
                    break
                links += 1
            words.append(tok)
            if sum(w.kind == "content" for w in words) > 3:
                break
            yield from _emit(words, toks, j, stats, lang, mid)


def _emit(
    words: list[_Tok], toks: Sequence[_Tok | None], j: int, stats: _Stats, lang: str, mid: bool = False
) -> Iterable[tuple[tuple[str, ...], list[_Tok]]]:
    """The phrase ``words`` ending at token ``j``, unless it ends inside a proper name."""
    if mid and sum(w.kind == "content" for w in words) >= 3:
        return
    if not words or words[-1].kind != "content" or not words[-1].tail or sum(w.kind == "content" for w in words) > 3:
        return
    if any(not w.tail for w in words[1:-1]):
        return  # "Teachers built prototypes": a verb inside
    after = toks[j + 1] if j + 1 < len(toks) else None
    last = words[-1]
    if (
        lang == "en"
        and stats.nouns
        and not (  # (texts without determiners, like AG News, say nothing)
            _lemma(last.lower, lang) in stats.nouns or _is_acronym(last.surface) or stats.is_name(last.lower)
        )
    ):
        return  # "Students pick", "Blended onboarding cuts": an English phrase ends on a noun
    if (
        lang == "en"
        and not stats.is_name(last.lower)
        and (last.lower in MODIFIERS or _COMPOUND_ADJECTIVE.match(last.lower))
    ):
        return  # "Live virtual", "Two-minute": an adjective waits for its noun
    first = words[0]
    if (
        lang == "en"
        and stats.np_words
        and not (
            _lemma(first.lower, lang) in stats.np_words
            or first.lower in MODIFIERS
            or "-" in first.lower
            or _is_acronym(first.surface)
            or stats.is_name(first.lower)
        )
    ):
        return  # "Keep unlimited certificates": an English phrase starts as a noun phrase after "the" does
    if (
        lang == "fr"
        and stats.heads
        and first.lower not in stats.heads
        and not (_is_acronym(first.surface) or stats.is_name(first.lower))
    ):
        return  # "Numériques vérifiables" (of "badges numériques vérifiables"): a French phrase opens a run
    if lang == "en" and after is not None and after.kind == "content" and after.lower in MODIFIERS:
        return  # "OpenCourseHub ends | free certificates": cut before the object's adjective
    if lang == "en" and any(
        w.kind == "content"
        and _lemma(w.lower, lang) in stats.verbs
        and _lemma(w.lower, lang) not in stats.nouns
        and not _is_acronym(w.surface)
        and not stats.is_name(w.lower)
        for w in words
    ):
        return  # "Schoolers hack classroom": a verb ("to hack") inside
    infinitive = last.lower.endswith(_INFINITIVE) and _lemma(last.lower, lang) == last.lower
    if lang == "fr" and infinitive and (len(words) == 1 or words[-2].kind == "link"):
        return  # "Comprendre", "Plateau pour enseigner": a verb alone or after its preposition
    if (
        after is not None
        and after.kind == "content"
        and not after.prefix
        and stats.is_name(last.lower)
        and stats.is_name(after.lower)
    ):
        return  # would cut a proper name
    key = tuple(_LINK_KEY.get(w.lower, w.lower) if w.kind == "link" else _key_word(w, lang) for w in words)
    if len(set(k for k, w in zip(key, words, strict=True) if w.kind == "content")) < sum(
        w.kind == "content" for w in words
    ):
        return  # "cours en ligne cours"
    yield key, list(words)


def _key_word(tok: _Tok, lang: str) -> str:
    """How a word is counted: its lemma, an acronym without its plural "s" ("MOOCs" is "mooc")."""
    if len(tok.lower) > 3 and tok.surface.endswith("s") and _is_acronym(tok.surface):
        return tok.lower[:-1]
    return _lemma(tok.lower, lang)


def _surface(words: Sequence[_Tok], stats: _Stats) -> str:
    parts: list[str] = []
    for n, w in enumerate(words):
        if w.kind == "link":
            parts.append(w.lower)
            continue
        if _is_acronym(w.surface) or not w.trusted:
            text = stats.written(w.lower)
        else:
            text = w.surface if w.surface[:1].isupper() else w.lower
        if n and w.prefix:
            if parts and parts[-1] == "de" and w.prefix == "d'":
                parts.pop()
            text = w.prefix + text
        parts.append(text)
    return " ".join(parts).replace("' ", "'")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# -------------------------------------------------------------------------------------------- titles


def _unit(x: NDArray[np.floating]) -> NDArray[np.float64]:
    v = np.asarray(x, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def _mmr(scores: NDArray[np.float64], vectors: NDArray[np.float64], top_n: int, diversity: float) -> list[int]:
    if not len(scores):
        return []
    chosen = [int(np.argmax(scores))]
    rest = [i for i in range(len(scores)) if i != chosen[0]]
    while rest and len(chosen) < top_n:
        redundancy = (vectors[rest] @ vectors[chosen].T).max(axis=1)
        pick = rest[int(np.argmax((1 - diversity) * scores[rest] - diversity * redundancy))]
        chosen.append(pick)
        rest.remove(pick)
    return chosen


def shorten_headline(
    headline: str, stops: frozenset[str], max_words: int = 6, max_chars: int = 50, lang: str = "en"
) -> str:
    """A headline cut to a title at a phrase boundary.

    Its first part before a separator (":", "?", " – "), whole when it fits in ``max_words`` words and
    ``max_chars`` characters ("What the evidence says about microlearning"). A longer one loses its
    leading stop words ("comment le …"), then its first clause before a comma when that is a phrase, then
    is cut right before a stop word ("State funding formula | will reward colleges …", "Airline trains
    cabin crew | with two-minute …"), so it never ends on a stop word, a number or a dangling adjective.
    """
    text = _first_part(headline)
    words = text.split()
    if len(words) > 2 and words[0].lower().replace("’", "'") in ARTICLES:
        words.pop(0)  # "Une licence hybride" → "Licence hybride"
    elif len(words) > 1 and words[0][:2].lower() == "l'" and len(words[0]) > 2:
        words[0] = words[0][2:]  # "L'école …" → "École …"
    if _fits_words(words, max_words, max_chars):
        return _capital(" ".join(words).strip(" .,;:'"))
    while len(words) > 2 and _bare(words[0]) in stops and _bare(words[0]) not in NUMBER_WORDS:
        words.pop(0)
    clause = " ".join(words).split(", ")[0].split()
    if len(clause) >= 2 and len(clause) < len(words):
        words = clause
    if not _fits_words(words, max_words, max_chars):
        ends = [
            k
            for k in range(2, len(words))
            if _fits_words(words[:k], max_words, max_chars)
            and _bare(words[k]) in stops
            and _good_end(words[k - 1], stops, lang)
        ]
        if ends:
            words = words[: max(ends)]
        else:
            words = words[:max_words]
            while len(words) > 1 and (
                not _fits_words(words, max_words, max_chars) or not _good_end(words[-1], stops, lang)
            ):
                words.pop()
    out = " ".join(words).strip(" .,;:'") or text[:max_chars].strip()
    return _capital(out)


_QUOTES = re.compile(r"[«»“”\"]")


def _first_part(headline: str) -> str:
    """A headline's first part of two words or more before a separator (":", "?", " – "), quotes out."""
    text = " ".join(_QUOTES.sub(" ", headline).split())
    parts = [q for q in (part.strip(" .,'") for part in _HEADLINE_CUT.split(text)) if q]
    return next((q for q in parts if len(q.split()) >= 2), parts[0]) if parts else text


def _uncut(headline: str, title: str) -> bool:
    """``title`` is the headline's first part as written (but for a leading article)."""
    first = _first_part(headline)
    if "," in first:
        return False  # "Deux ans après, les déçus témoignent": a clause, not a name
    part, got = _norm(first).split(), _norm(title).split()
    return got in (part, part[1:])


def _fits_words(words: Sequence[str], max_words: int, max_chars: int) -> bool:
    return len(words) <= max_words and len(" ".join(words)) <= max_chars


def _good_end(word: str, stops: frozenset[str], lang: str) -> bool:
    """A headline may end on this word: no stop word, number, adjective waiting for its noun ("shared",
    "two-minute", "premiers"), French conjugated verb ("lance") or word ending on punctuation."""
    bare = _bare(word)
    return bool(
        bare
        and bare not in stops
        and bare not in NUMBER_WORDS
        and bare not in MODIFIERS
        and bare not in FR_MODIFIERS
        and (lang != "fr" or not _verb_form(bare, "fr"))  # "lance", "pensées"
        and not _COMPOUND_ADJECTIVE.match(bare)
        and not any(ch.isdigit() for ch in bare)
        and not word.endswith((",", ";", ":"))
    )


def _bare(word: str) -> str:
    return _ELISION.sub("", word.lower().replace("’", "'").strip(".,;:!?'\"«»"))


def theme_titles(
    docs: Sequence[Doc],
    vectors: NDArray[np.floating],
    groups: Sequence[Sequence[int]],
    embed: Embed,
    *,
    stops: frozenset[str],
    languages: Sequence[str] = LANGUAGES,
    params: TitleParams | None = None,
) -> list[dict[str, Title]]:
    """One title per group and language: ``[{"fr": Title, "en": Title}, …]`` in the order of ``groups``.

    ``docs[i]`` is a text with its language and ``vectors[i]`` its unit embedding; ``groups`` lists the
    docs of each theme (a doc may belong to none). ``embed`` embeds candidate phrases (unit rows). Groups
    come biggest-or-most-important first: an earlier group keeps a title two groups would share.
    """
    p = params or TitleParams()
    x = np.asarray(vectors, dtype=np.float64)
    full_groups = groups
    voices = [_voices(docs, members) for members in groups]
    groups = [_central(members, x, docs, p.max_docs) for members in groups]
    used = {i for members in groups for i in members}
    stats = _Stats()
    toks: list[list[_Tok | None]] = []
    for n, doc in enumerate(docs):
        if n not in used:
            toks.append([])
            continue
        lang = _lang(doc.lang)
        summary = _clip(doc.summary, p.summary_chars)
        title_toks = _tokens(doc.title, lang, stops)
        summary_toks = _tokens(summary, lang, stops)
        # French headlines capitalise names only ("… Kevin Durant aux Celtics contre Jaylen Brown")
        stats.observe(title_toks, trust_case=lang == "fr" or not _title_cased(doc.title), lang=lang)
        stats.observe(summary_toks, trust_case=True, lang=lang)
        toks.append([*title_toks, None, *summary_toks])

    # per language: each group's candidate phrases and their document frequencies
    results: list[dict[str, list[Title]]] = [{} for _ in groups]
    for lang in languages:
        per_group: list[Counter[tuple[str, ...]]] = []
        forms: dict[tuple[str, ...], Counter[str]] = {}
        sizes: list[int] = []
        for g, members in enumerate(groups):
            df: Counter[tuple[str, ...]] = Counter()
            mine = [i for i in members if _lang(docs[i].lang) == lang] if lang in voices[g] else []
            units: dict[object, set[tuple[str, ...]]] = {}
            for i in mine:
                seen = units.setdefault(_unit_of(docs[i], i), set())
                for key, words in _phrases(toks[i], stats, lang):
                    forms.setdefault(key, Counter())[_surface(words, stats)] += 1
                    seen.add(key)
            for seen in units.values():
                df.update(seen)
            per_group.append(df)
            sizes.append(len(units))
        overall: Counter[tuple[str, ...]] = Counter()
        for df in per_group:
            overall.update(df)
        per_group = [_maximal(df) for df in per_group]
        active = [g for g, n in enumerate(sizes) if n]
        if not active:
            continue
        average = sum(sizes) / len(active)
        shortlists: list[list[tuple[tuple[str, ...], float]]] = []
        for g, df in enumerate(per_group):
            floor = 2 if sizes[g] >= 3 else 1
            scored = [
                (key, (count / max(sizes[g], 1)) * math.log(1 + average / overall[key]))
                for key, count in df.items()
                if count >= floor
            ]
            scored.sort(key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))
            shortlists.append(scored[: min(p.shortlist, 8 + p.shortlist_per_unit * sizes[g])])
        phrases = sorted({forms[key].most_common(1)[0][0] for sl in shortlists for key, _ in sl})
        vec_of = dict(zip(phrases, np.asarray(embed(phrases), dtype=np.float64), strict=True)) if phrases else {}
        centres = _centres(x, docs, groups, lang)
        for g in range(len(groups)):
            if not shortlists[g]:
                continue
            centre = centres[g]
            names = [forms[key].most_common(1)[0][0] for key, _ in shortlists[g]]
            cand = np.vstack([vec_of[name] for name in names])
            cosine = cand @ centre
            margin = _margins(cand, centres, g)
            best_spec = max(s for _, s in shortlists[g]) or 1.0
            spec = np.array([s / best_spec for _, s in shortlists[g]])
            content = np.array([sum(1 for k in key if k not in _LINK_KEYS) for key, _ in shortlists[g]])
            score = (1 - p.spec_weight) * cosine + p.spec_weight * spec + p.length_bonus * (np.minimum(content, 2) - 1)
            cos_floor = max(p.min_cosine, p.relative_cosine * float(cosine.max()))
            ok = [i for i in range(len(names)) if cosine[i] >= cos_floor and _fits(names[i], p)]
            if not ok:
                continue
            # placed right first: a phrase nearer another theme of the week than its own names that one
            placed = [i for i in ok if margin[i] > 0]
            misplaced = [i for i in ok if margin[i] <= 0]
            picks = [placed[k] for k in _mmr(score[placed], cand[placed], p.alternatives, p.diversity)]
            picks += [misplaced[k] for k in _mmr(score[misplaced], cand[misplaced], p.alternatives, p.diversity)]
            ranked = [
                Title(
                    names[i],
                    lang,
                    "phrase",
                    round(float(score[i]), 4),
                    alone=bool(content[i] >= 2) or _single_name(names[i], stats),
                    margin=round(float(margin[i]), 4),
                )
                for i in picks
            ]
            results[g][lang] = _paired(ranked, [cand[i] for i in picks], p)
        _placed_headlines(docs, x, groups, results, centres, lang, embed, p, stops, voices)

    return _assign(docs, x, full_groups, results, languages, p, stops, voices)


def _unit_of(doc: Doc, i: int) -> tuple[str, int | None]:
    """What a phrase or a language is counted once for: the doc's story, else the doc itself."""
    return ("unit", doc.unit) if doc.unit is not None else ("doc", i)


def _voices(docs: Sequence[Doc], members: Sequence[int]) -> dict[str, int]:
    """The languages a theme's own words are taken from: those of at least two of its stories, or of a
    fifth of them. One French item among twenty English ones is a stray: its phrases and its headline
    ("Sueur du tofu") would title a theme it does not describe, so a French reader gets the English title.
    Each with its number of stories."""
    units: dict[str, set[object]] = {}
    for i in members:
        doc = docs[int(i)]
        units.setdefault(_lang(doc.lang), set()).add(_unit_of(doc, int(i)))
    total = sum(len(u) for u in units.values())
    return {lang: len(u) for lang, u in units.items() if len(u) >= 2 or 5 * len(u) >= total}


def _centres(
    x: NDArray[np.float64], docs: Sequence[Doc], groups: Sequence[Sequence[int]], lang: str
) -> NDArray[np.float64]:
    """Each group's centroid in ``lang`` (of all its docs when it has none in ``lang``), one unit row each."""
    rows = []
    for members in groups:
        mine = [i for i in members if _lang(docs[i].lang) == lang] or list(members)
        rows.append(_unit(x[mine].sum(axis=0)) if mine else np.zeros(x.shape[1]))
    return np.vstack(rows) if rows else np.zeros((0, x.shape[1]))


def _margins(cand: NDArray[np.float64], centres: NDArray[np.float64], g: int) -> NDArray[np.float64]:
    """How much nearer its own theme ``g`` each candidate is than the nearest other theme: a title whose
    margin is not positive would name another theme of the week better than its own."""
    closeness = cand @ centres.T
    own = closeness[:, g]
    if len(centres) < 2:
        return own
    others = np.delete(closeness, g, axis=1)
    return own - others.max(axis=1)


def _placed_headlines(
    docs: Sequence[Doc],
    x: NDArray[np.float64],
    groups: Sequence[Sequence[int]],
    results: list[dict[str, list[Title]]],
    centres: NDArray[np.float64],
    lang: str,
    embed: Embed,
    p: TitleParams,
    stops: frozenset[str],
    voices: Sequence[Mapping[str, int]],
) -> None:
    """A theme whose best phrase is misplaced (nearer another theme, or none at all) is titled by its most
    central headline in ``lang``, shortened, when that headline is placed right itself."""
    need = [
        g
        for g in range(len(groups))
        if len(groups) > 1
        and lang in voices[g]
        and (not results[g].get(lang) or (results[g][lang][0].margin or 0.0) <= 0)
    ]
    found = [(g, _central_headline(docs, x, groups[g], lang, p, stops)) for g in need]
    found = [(g, text) for g, text in found if text]
    if not found:
        return
    vectors = np.asarray(embed([text for _, text in found]), dtype=np.float64)
    for (g, text), vector in zip(found, vectors, strict=True):
        margin = float(_margins(vector[None, :], centres, g)[0])
        if margin > 0:
            title = Title(text, lang, "headline", round(float(vector @ centres[g]), 4), margin=round(margin, 4))
            results[g][lang] = [title, *results[g].get(lang, [])]


def _central_headline(
    docs: Sequence[Doc],
    x: NDArray[np.float64],
    members: Sequence[int],
    lang: str,
    p: TitleParams,
    stops: frozenset[str],
) -> str:
    """The group's most central headline in ``lang`` as a title: its first part as written, when that is
    short and reads as a name ('' otherwise: "MOOC, un levier d'upskilling" is a clause, "DRH lance un
    podcast pour expliquer" a cut sentence)."""
    idx = [int(i) for i in members if docs[int(i)].title.strip() and _lang(docs[int(i)].lang) == lang]
    if not idx:
        return ""
    centre = _unit(x[idx].sum(axis=0))
    best = min(idx, key=lambda i: (-float(x[i] @ centre), i))
    text = shorten_headline(docs[best].title, stops, p.max_words, p.max_chars, lang)
    words = text.split()
    if (
        len(words) < 2
        or not _uncut(docs[best].title, text)
        or not _starts_well(text, lang, stops)
        or not _good_end(words[-1], stops, lang)
        or words[0][:1].isdigit()
        or _bare(words[-2]) in LINK_WORDS.get(lang, frozenset())  # "… pour expliquer"
    ):
        return ""
    return text


def _central(members: Sequence[int], x: NDArray[np.float64], docs: Sequence[Doc], limit: int) -> list[int]:
    """The group's ``limit`` docs per language nearest its centre (all of a small group): a big theme's
    phrases are read from its most central items, so titling a 5,000-story week stays linear in themes."""
    idx = [int(i) for i in members]
    if len(idx) <= limit:
        return idx
    centre = _unit(x[idx].sum(axis=0))
    closeness = x[idx] @ centre
    kept: list[int] = []
    per_lang: Counter[str] = Counter()
    for k in np.argsort(-closeness, kind="stable"):
        lang = _lang(docs[idx[k]].lang)
        if per_lang[lang] < limit:
            per_lang[lang] += 1
            kept.append(idx[k])
    return sorted(kept)


_LINK_KEYS = frozenset(_LINK_KEY.values()) | frozenset().union(*LINK_WORDS.values())


_AND = {"fr": "et", "en": "and"}


def _single_name(text: str, stats: _Stats) -> bool:
    """A one-word proper name ("OpenCourseHub", "Campusphere") names a theme by itself; an acronym or a
    common noun ("MOOC", "Classroom", "Game") does not."""
    return len(text.split()) == 1 and not _is_acronym(text) and stats.is_name(text.lower())


def _paired(ranked: list[Title], vectors: Sequence[NDArray[np.float64]], p: TitleParams) -> list[Title]:
    """A title of a single word ("MOOC") becomes "A et B" with the next pick, a phrase, that shares no
    word with it, scores nearly as well and means nearly the same ("MOOC and open courses", never
    "Funding and parent company"); a person names a theme with a phrase. Single words that are no
    proper name are then dropped: a theme is never called "Game"."""
    alone = [t for t in ranked if t.alone]
    if not ranked or ranked[0].alone:
        return alone
    first = ranked[0]
    words = set(_norm(first.text).split())
    for other, vector in zip(ranked[1:], vectors[1:], strict=True):
        if float(vector @ vectors[0]) < p.pair_cosine:
            continue  # two subjects joined by "and" are no title
        if len(other.text.split()) < 2 or other.score < p.pair_ratio * first.score:
            continue  # "Jeu et professeurs", "Coach and learning": two loose words are no title
        if words & set(_norm(other.text).split()):
            continue
        text = f"{first.text} {_AND.get(first.lang, 'and')} {other.text}"
        if _fits(text, p):
            margin = min(first.margin or 0.0, other.margin or 0.0)
            return [Title(text, first.lang, "phrase", first.score, margin=margin), *alone]
    return alone


def _maximal(df: Counter[tuple[str, ...]]) -> Counter[tuple[str, ...]]:
    """Drop the phrases never seen outside one longer phrase ("VR for soft" in "VR for soft skills",
    "numérique de travail" in "espace numérique de travail"): they are fragments."""
    longest: Counter[tuple[str, ...]] = Counter()
    for key, count in df.items():
        if len(key) < 2:
            continue
        for sub in (_trim(key[:-1]), _trim(key[1:])):
            if sub and longest[sub] < count:
                longest[sub] = count
    return Counter({key: count for key, count in df.items() if longest[key] < count})


def _trim(key: tuple[str, ...]) -> tuple[str, ...]:
    while key and key[0] in _LINK_KEYS:
        key = key[1:]
    while key and key[-1] in _LINK_KEYS:
        key = key[:-1]
    return key


def _fits(text: str, p: TitleParams) -> bool:
    return len(text) <= p.max_chars and len(text.split()) <= p.max_words


def _assign(
    docs: Sequence[Doc],
    x: NDArray[np.float64],
    groups: Sequence[Sequence[int]],
    results: list[dict[str, list[Title]]],
    languages: Sequence[str],
    p: TitleParams,
    stops: frozenset[str],
    voices: Sequence[Mapping[str, int]],
) -> list[dict[str, Title]]:
    """Each group's title per language: its best phrase in that language not taken by an earlier group,
    else a headline in that language short enough to be a title uncut (when the language speaks for the
    group: ``_voices``), else its best phrase in another language, else its most central headline,
    shortened (an English reader gets "HyFlex fatigue" rather than "Classe virtuelle")."""
    out: list[dict[str, Title]] = [{} for _ in groups]
    for lang in languages:
        taken: set[str] = set()
        for g, members in enumerate(groups):
            choice = next((t for t in results[g].get(lang, []) if _norm(t.text) not in taken), None)
            if choice is None and lang in voices[g]:
                choice = _headline(docs, x, members, lang, taken, p, stops, only_lang=True)
            if choice is None:
                others = [  # the other language's phrases (its headline is no better than this one's)
                    t for other in languages if other != lang for t in results[g].get(other, []) if t.kind == "phrase"
                ]
                choice = next((t for t in others if _norm(t.text) not in taken), None)
            if choice is None:  # a headline of a language that speaks for the group, this one first
                spoken = {k: n for k, n in voices[g].items() if k}  # the language most of its stories are in
                prefer = lang if lang in voices[g] else max(sorted(spoken), key=spoken.__getitem__, default=lang)
                choice = _headline(docs, x, members, prefer, taken, p, stops)
            if choice is not None:
                taken.add(_norm(choice.text))
                out[g][lang] = Title(
                    _capital(choice.text), choice.lang, choice.kind, choice.score, margin=choice.margin
                )
    return out


def _headline(
    docs: Sequence[Doc],
    x: NDArray[np.float64],
    members: Sequence[int],
    lang: str,
    taken: set[str],
    p: TitleParams,
    stops: frozenset[str],
    *,
    only_lang: bool = False,
) -> Title | None:
    """The most central headline of the group (in ``lang`` when it has one, only in ``lang`` when
    ``only_lang``), shortened, not yet taken."""
    idx = [
        int(i) for i in members if docs[int(i)].title.strip() and (not only_lang or _lang(docs[int(i)].lang) == lang)
    ]
    if not idx:
        return None
    centre = _unit(x[idx].sum(axis=0))
    ranked = sorted(idx, key=lambda i: (_lang(docs[i].lang) != lang, -float(x[i] @ centre), i))
    for i in ranked:
        text = shorten_headline(docs[i].title, stops, p.max_words, p.max_chars, _lang(docs[i].lang))
        words = text.split()
        if only_lang and (
            not _uncut(docs[i].title, text)
            or len(words) < 2
            or _bare(words[0]) in ARTICLES | LINK_WORDS.get(lang, frozenset()) | _LINK_KEY.keys()  # "Aux femmes"
            or _bare(words[-1]) in stops
        ):
            continue  # in its own language, a headline is a title only as written
        if text and _norm(text) not in taken:
            return Title(text, _lang(docs[i].lang), "headline", round(float(x[i] @ centre), 4))
    return None


def _starts_well(text: str, lang: str, stops: frozenset[str]) -> bool:
    """A title starts on a word that can open a noun phrase: no stop word, article, linking word, number
    or adverb, and in French no conjugated verb or participle ("Lancée en mars …", "Permet aux …"): a
    title starting there is the cut tail of a sentence."""
    words = text.split()
    if not words:
        return False
    first = _bare(words[0])
    if (
        not first
        or first in stops
        or first in ARTICLES
        or first in NUMBER_WORDS
        or first in ADVERBS
        or first in LINK_WORDS.get(lang, frozenset())
        or first in _LINK_KEY
    ):
        return False
    return lang != "fr" or _is_acronym(words[0]) or _verb_form(first, "fr") == ""


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _lang(lang: str | None) -> str:
    return (lang or "").split("-")[0].split("_")[0].lower()


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0]


def in_language(stored: Mapping[str, str] | None, lang: str) -> str:
    """The stored title to show in ``lang``: that language's, else the English one, else any, else ''."""
    stored = stored or {}
    return stored.get(lang) or stored.get("en") or next((text for text in stored.values() if text), "")
