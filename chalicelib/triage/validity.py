"""Is this message a complaint at all? Flags empty, too short, gibberish, test and contact-only messages.

`check_validity(text, subject=...)` returns a `Verdict` with a machine reason code and a plain-words reason.
Chinese, Japanese and Korean characters count as real content (each character carries meaning), so short
but real CJK text such as "快递三天没到，客服不回复" is valid. Latin-script words are checked for keyboard mashing,
repeated characters, missing vowels and letter pairs that no word contains.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache

from ..i18n import N_

# Reason codes and the plain words shown to people.
EMPTY = "empty"
TOO_SHORT = "too_short"
GIBBERISH = "gibberish"
TEST_MESSAGE = "test_message"
ONLY_LINK = "only_link"
ONLY_EMAIL = "only_email"
ONLY_PHONE = "only_phone"
ONLY_CONTACT = "only_contact_details"
NO_CONTENT = "no_content"
REASONS = {
    EMPTY: N_("The message is empty."),
    TOO_SHORT: N_("The message is too short to describe a problem."),
    GIBBERISH: N_("The message does not contain readable words."),
    TEST_MESSAGE: N_("The message looks like a test, not a complaint."),
    ONLY_LINK: N_("The message contains only a link."),
    ONLY_EMAIL: N_("The message contains only an e-mail address."),
    ONLY_PHONE: N_("The message contains only a phone number."),
    ONLY_CONTACT: N_("The message contains only contact details."),
    NO_CONTENT: N_("The message is only a greeting or filler words."),
}


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason_code: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ValidityRules:
    min_units: int = 6  # content units: one per Latin letter, `cjk_weight` per CJK character
    min_words: int = 2  # a CJK character counts as a word
    cjk_weight: int = 2
    no_stopword_words: int = 12  # this many Latin words without one common function word is gibberish


DEFAULT_RULES = ValidityRules()
MAX_CHARS = 2000  # the verdict reads the start of a message; a long message that starts well is real
TEST_MESSAGE_MAX_CHARS = 80  # "this is a test message, please ignore" and the like are short
VALID = Verdict(True)

_CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_ASCII_WORD = re.compile(r"[A-Za-z]+")
_TLD = r"(?:com|net|org|info|biz|io|co|cn|uk|de|me|ly|app|xyz|top|shop|site|online|link)"
# Case spelled out: \S under IGNORECASE takes milliseconds to compile.
_SCHEME_URL = re.compile(r"(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Tt][Pp])://\S+|[Ww][Ww][Ww]\.\S+")
_TLD_PROBE = re.compile(rf"\.{_TLD}\b", re.IGNORECASE)  # cheap first look before the full domain pattern
_BARE_DOMAIN = re.compile(rf"(?<![\w.-])(?:[\w-]+\.)+{_TLD}\b(?:/\S*)?", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGIT_RUN = re.compile(r"\d[\d ().-]{5,}\d")  # a phone number when it holds 7 to 15 digits
_REPEATED_RUN = re.compile(r"(.)\1{2,}")  # three or more of the same character
_REPEATED_LETTER = re.compile(r"([^\W\d_])\1{3,}")  # four or more of the same letter
_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]{6,}")
_CONSONANT_RUN5 = re.compile(r"[bcdfghjklmnpqrstvwxz]{5}")
_ENGLISH_CLUSTERS = ("th", "ng", "ch", "sh", "ph", "gh", "ck", "wr", "ps", "sc", "ght")
_VOWEL = re.compile(r"[aeiouyàáâãäåèéêëìíîïòóôõöùúûüýÿæœø]")
_NON_WORD = re.compile(r"[\W_]+")

# Words that may sit next to a link, address or number without saying anything.
_CONTACT_FILLER = frozenset(
    "a an and at by call contact check click email e mail hello hi here is link me mobile my number on or our "
    "phone please pls reach see site text thanks thank the this to url via visit website whatsapp wechat you "
    "tel cell your".split())
_CJK_CONTACT_FILLER = re.compile("我的|电话|手机|号码|联系|邮箱|网址|链接|请|看|打|是")
# Whole messages that are tests (after lower-casing and turning punctuation into spaces), maybe after a greeting.
_GREETING = (r"(?:(?:hello|hi|hey|hiya|dear (?:sir|madam|team|all|support)|good (?:morning|afternoon|evening))"
             r"(?: there| all| team| everyone)? )?")
_TEST_MESSAGE = re.compile(
    _GREETING + r"(?:(?:this is |it is |its |i am |i m )?(?:just |only )?(?:a |an )?(?:sending (?:a |an )?)?"
    r"(?:test|testing|tst)(?: (?:message|msg|mail|email|e mail|complaint|submission|ticket|sms|text|post|only|again"
    r"|please|ignore|do not reply|test|testing|\d+))*"
    r"|(?:asdf|qwerty|qwer|zxcv)(?: (?:asdf|qwerty|\d+))*|foo(?: bar)?(?: baz)?|hello world"
    r"|(?:please )?ignore(?: this)?(?: message)?|(?:这是)?(?:一条|一个)?测试\w{0,6}|随便(?:写|填|打)\w{0,4}|テスト\w{0,6}"
    r"|\d+)", re.IGNORECASE)
# Whole messages of greetings, thanks and filler: nothing to act on.
_FILLER_WORDS = frozenset(
    "hi hello hey hiya there dear sir madam team all everyone support good morning afternoon evening how are you "
    "thanks thank ok okay yes no blah bla etc nothing none na n a whatever something stuff just".split())
_LOREM = re.compile(r"^\W*lorem ipsum", re.IGNORECASE)

# Keyboard runs (rows of a QWERTY keyboard, both directions) that no English word contains.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEYBOARD_RUNS = frozenset(
    run for row in _ROWS for seq in (row, row[::-1]) for run in (seq[i:i + 4] for i in range(len(seq) - 3))
) - {"erty", "trew", "ytre"} | {"asd", "sdf", "jkl", "qwe", "zxc", "hjk", "dfg", "fgh", "ghj", "lkj", "kjh"}
# Letter pairs that English words (and pinyin) do not contain but hands mashing a keyboard produce.
_MASH_PAIRS = frozenset(
    "bq bx bz cj cz dz fj fq fv fw fz gj gq gz hq hz jb jc jd jf jh jj jk jl jm jn jq jt jw jx jy jz kq kx kz lq mq "
    "mz pq pz qb qd qf qg qh qj qk qn qp qq qr qt qv qx qy qz rq tq vb vf vg vh vj vk vq vw vx vz wj wq wz xj xk xq "
    "xz yj yq zb zc zd zf zg zj zk zm zp zq zv zx".split())
# Common function words in English and the main Western European languages: real prose contains some.
_STOPWORDS = frozenset(
    "a an and are as at be but by can did do for from had has have he her his i if in is it its me my no not of "
    "on or our she so that the their them they this to was we were what when will with would you your "
    "el la los las de que y en un una es por con mi le les et je ne pas est une des du il der die das und ich "
    "nicht ist ein eine mit zu os um uma e di che het een ik".split())


def check_validity(text: str, subject: str = "", rules: ValidityRules = DEFAULT_RULES) -> Verdict:
    """Judges the body; a subject may supply content a short or contact-only body lacks, never rescue garbage."""
    verdict = _judge(text or "", rules)
    if verdict.valid or not subject or verdict.reason_code in (GIBBERISH, TEST_MESSAGE):
        return verdict
    combined = _judge(f"{subject}\n{text or ''}", rules)
    return combined if combined.valid else verdict


def _judge(text: str, rules: ValidityRules) -> Verdict:
    text = text[:MAX_CHARS]
    if not text.strip():
        return _invalid(EMPTY)
    if _LOREM.match(text):
        return _invalid(TEST_MESSAGE)
    if _is_prose(text):
        return VALID
    remainder, kinds = _strip_contacts(text)
    if kinds and _content_units(_drop_filler(remainder), rules) < rules.min_units:
        return _invalid(kinds[0] if len(kinds) == 1 else ONLY_CONTACT)
    if _is_test_message(remainder):
        return _invalid(TEST_MESSAGE)
    if _is_filler(remainder):
        return _invalid(NO_CONTENT)
    return _judge_words(remainder, rules)


def _judge_words(text: str, rules: ValidityRules) -> Verdict:
    cjk_chars = _count_cjk(text)
    cjk_collapsed = _count_cjk(_REPEATED_RUN.sub(r"\1", text)) if cjk_chars else 0
    plausible = mash = real_words = 0
    distinct_real: set[str] = set()
    for word, count in Counter(_letter_runs(text)).items():  # each distinct word is judged once
        kind = _word_kind(word)
        if kind == "mash":
            mash += len(word) * count
        elif kind == "real":
            plausible += len(word) * count
            real_words += count
            distinct_real.add(word.lower())
    units = plausible + rules.cjk_weight * cjk_collapsed
    if mash and mash >= units:
        return _invalid(GIBBERISH)
    if cjk_chars != cjk_collapsed and units < rules.min_units <= plausible + rules.cjk_weight * cjk_chars:
        return _invalid(GIBBERISH)  # only repeated characters, such as 啊啊啊啊啊啊
    if not units and len(text.strip()) >= 12:
        return _invalid(GIBBERISH)  # symbols or digits, no words
    if not cjk_collapsed and real_words >= rules.no_stopword_words and _STOPWORDS.isdisjoint(distinct_real):
        return _invalid(GIBBERISH)
    if real_words >= 4 and len(distinct_real) == 1:
        return _invalid(GIBBERISH)  # one word over and over
    if units < rules.min_units or real_words + cjk_collapsed < rules.min_words:
        return _invalid(TOO_SHORT)
    return VALID


def _is_prose(text: str) -> bool:
    """Fast path: 15+ words, a fifth of them common function words of 3+ kinds, is real language."""
    words = text.lower().split()
    if len(words) < 15:
        return False
    function_words = sum(map(_STOPWORDS.__contains__, words))
    return function_words * 5 >= len(words) and len(_STOPWORDS.intersection(words)) >= 3


@lru_cache(maxsize=16384)
def _word_kind(word: str) -> str:
    """'mash' (keyboard mashing, random letters), 'redacted' (XXXX), or 'real'."""
    lower = word.lower()
    if len(lower) < 2:
        return "real"
    if lower.strip("x") == "":
        return "redacted"
    if _REPEATED_LETTER.search(lower) or _is_periodic(lower):
        return "mash"
    if any(lower[i:i + 4] in _KEYBOARD_RUNS or lower[i:i + 3] in _KEYBOARD_RUNS for i in range(len(lower) - 2)):
        return "mash"
    if word.isupper() and len(word) <= 6:
        return "real"  # an acronym such as FTC or CFPB
    vowels = len(_VOWEL.findall(lower))
    if len(lower) >= 4 and not vowels:
        return "mash"
    if _CONSONANT_RUN.search(lower):
        return "mash"
    cluster = _CONSONANT_RUN5.search(lower)  # "alskdj"; "lengths" and "strengths" hold English digraphs
    if cluster and not any(pair in cluster.group() for pair in _ENGLISH_CLUSTERS):
        return "mash"
    odd_pairs = sum(lower[i:i + 2] in _MASH_PAIRS for i in range(len(lower) - 1))
    if odd_pairs >= 2 or (odd_pairs and vowels / len(lower) < 0.25):
        return "mash"
    return "real"


def _is_periodic(word: str) -> bool:
    """'hahaha', 'asdasd': a word of six or more letters that repeats a unit of one to three letters."""
    return len(word) >= 6 and any(word == (word[:size] * (len(word) // size + 1))[:len(word)] for size in (1, 2, 3))


def _strip_contacts(text: str) -> tuple[str, list[str]]:
    """Removes links, e-mail addresses and phone numbers; says which kinds were there (links first).

    Each pattern runs only when a cheap look finds its marker, which keeps long texts fast.
    """
    kinds = []
    if "@" in text:
        text = _remove(_EMAIL, text, ONLY_EMAIL, kinds)
    if "://" in text or "www." in text.lower():
        text = _remove(_SCHEME_URL, text, ONLY_LINK, kinds)
    if _TLD_PROBE.search(text):
        text = _remove(_BARE_DOMAIN, text, ONLY_LINK, kinds)
    text = _remove(_DIGIT_RUN, text, ONLY_PHONE, kinds)
    order = (ONLY_LINK, ONLY_EMAIL, ONLY_PHONE)
    return text, sorted(set(kinds), key=order.index)


def _remove(pattern: re.Pattern, text: str, kind: str, kinds: list[str]) -> str:
    def blank(match: re.Match) -> str:
        value = match.group()
        if kind == ONLY_PHONE and not 7 <= sum(c.isdigit() for c in value) <= 15:
            return value  # shorter runs are order numbers or dates
        kinds.append(kind)
        return " "

    return pattern.sub(blank, text)


def _drop_filler(text: str) -> str:
    text = _CJK_CONTACT_FILLER.sub(" ", text.lower())
    return " ".join(word for word in _NON_WORD.split(text) if word not in _CONTACT_FILLER)


def _content_units(text: str, rules: ValidityRules) -> int:
    cjk = _count_cjk(text)
    letters = sum(len(word) for word in _letter_runs(text) if _word_kind(word) == "real")
    return letters + rules.cjk_weight * cjk


def _is_test_message(text: str) -> bool:
    if len(text) > TEST_MESSAGE_MAX_CHARS:
        return False
    normalized = _NON_WORD.sub(" ", text).strip()
    return bool(normalized) and _TEST_MESSAGE.fullmatch(normalized) is not None


def _is_filler(text: str) -> bool:
    """Two or more words, all greetings or filler ("hi there", "blah blah blah"); one word is judged as too short."""
    if len(text) > TEST_MESSAGE_MAX_CHARS or not text.isascii():
        return False
    words = _NON_WORD.sub(" ", text).lower().split()
    return len(words) >= 2 and _FILLER_WORDS.issuperset(words)


def _count_cjk(text: str) -> int:
    return 0 if text.isascii() else len(_cjk_patterns()[0].findall(text))


def _letter_runs(text: str) -> list[str]:
    """Runs of letters; CJK characters are not part of them (they are counted one by one)."""
    return _ASCII_WORD.findall(text) if text.isascii() else _cjk_patterns()[1].findall(text)


@cache
def _cjk_patterns() -> tuple[re.Pattern, re.Pattern]:
    """(a CJK character, a run of other letters): compiled on the first non-ASCII text, as the CJK ranges take
    milliseconds to compile and most imports never need them."""
    return re.compile(f"[{_CJK_RANGES}]"), re.compile(rf"[^\W\d_{_CJK_RANGES}]+")


def _invalid(code: str) -> Verdict:
    return Verdict(False, code, REASONS[code])
