"""Priority P1-P4 of a complaint from named severity signals, each with the words that fired it.

`assess_severity(text, subject=..., prior_complaints_30d=..., sentiment=...)` looks for safety risks, legal
action or a regulator, media exposure, financial loss (with the largest money amount), a vulnerable customer,
repeat complaints and strong negative feeling, then applies `SeverityRules` (a dataclass of levels and
thresholds). The assessment names the deciding rule (a key of RULE_LEVELS) and how many levels the raises added:
retraining learns those rules' levels from staff corrections (`SeverityRules.with_levels`). English phrases are
tried only where their trigger word occurs; Chinese terms are matched over the whole text. A phrase is ignored
when a negation ("no one was injured", "not going to sue", 没有人受伤) comes just before it in the same clause.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field, replace

from .phrases import PhraseTable

SAFETY = "safety"
LEGAL = "legal"
MEDIA = "media"
FINANCIAL_LOSS = "financial_loss"
VULNERABLE = "vulnerable"
REPEAT_CUSTOMER = "repeat_customer"
NEGATIVE_SENTIMENT = "negative_sentiment"
PRIORITIES = ("P1", "P2", "P3", "P4")
MAX_CHARS = 20_000  # longer complaints are read this far
MAX_TRIGGER_HITS = 25  # places tried per trigger word ("x" or "court" repeated a thousand times stays cheap)


@dataclass(frozen=True)
class SeverityRules:
    """Levels are 1-4 (P1-P4). Each signal sets a level; raises move the result up; the most urgent wins."""

    safety_level: int = 1
    legal_with_other_level: int = 1  # legal/regulator plus any other signal
    legal_alone_level: int = 2
    media_level: int = 2
    large_loss_level: int = 2
    small_loss_level: int = 3
    baseline_level: int = 3
    inquiry_level: int = 4  # no signal, and a neutral or positive question or compliment
    vulnerable_raise: int = 1
    repeat_raise: int = 1
    repeat_threshold: int = 2  # complaints from the same customer in the last 30 days
    sentiment_raise: int = 1
    sentiment_raise_ceiling: int = 2  # strong negative feeling alone never lifts above P2
    strong_negative: float = -0.6
    inquiry_min_sentiment: float = -0.05
    compliment_sentiment: float = 0.5
    large_amounts: dict[str, float] = field(  # what counts as a large loss, per currency
        default_factory=lambda: {"USD": 1000.0, "GBP": 800.0, "EUR": 900.0, "CNY": 7000.0}
    )

    def levels(self) -> dict[str, int]:
        """The level each deciding rule sets, by rule name (see RULE_LEVELS)."""
        return {rule: getattr(self, name) for rule, name in RULE_LEVELS.items()}

    def with_levels(self, levels: dict[str, int]) -> "SeverityRules":
        """These rules with some levels replaced, e.g. the levels retraining learnt from staff corrections."""
        unknown = set(levels) - set(RULE_LEVELS)
        if unknown:
            raise ValueError(f"unknown priority rule {sorted(unknown)[0]!r}; one of {', '.join(RULE_LEVELS)}")
        bad = {rule: level for rule, level in levels.items() if level not in (1, 2, 3, 4)}
        if bad:
            raise ValueError(f"priority level of {next(iter(bad))!r} must be 1-4, not {next(iter(bad.values()))!r}")
        return replace(self, **{RULE_LEVELS[rule]: level for rule, level in levels.items()})


# The rules that decide a level before any raise: rule name -> SeverityRules field.
RULE_LEVELS = {
    "safety": "safety_level", "legal_with_other": "legal_with_other_level", "legal_alone": "legal_alone_level",
    "media": "media_level", "large_loss": "large_loss_level", "small_loss": "small_loss_level",
    "baseline": "baseline_level", "inquiry": "inquiry_level",
}
DEFAULT_RULES = SeverityRules()


@dataclass(frozen=True)
class Signal:
    name: str
    evidence: str  # the words in the complaint that fired it


@dataclass(frozen=True)
class SeverityAssessment:
    priority: str
    signals: tuple[Signal, ...]
    explanation: str  # which rule set the priority, in plain words
    rule: str = "baseline"  # the deciding rule, a key of RULE_LEVELS
    raised: int = 0  # levels the raises (vulnerable, repeat, feeling) moved the priority up from the rule's level
    amount: float | None = None  # the largest money amount named in a loss, in `currency`
    currency: str | None = None

    @property
    def signal_names(self) -> tuple[str, ...]:
        return tuple(signal.name for signal in self.signals)


# English phrases as (signal, trigger word, pattern[, back]). A pattern is matched where its trigger word starts,
# or, with `back`, searched from that many characters before it. Patterns are lower case.
_BODY_PARTS = r"(?:hand|hands|arm|arms|leg|legs|back|head|neck|eye|eyes|finger|fingers|foot|feet|face|skin|knee|wrist)"
_FAMILY = (r"(?:husband|wife|mother|father|mom|mum|dad|son|daughter|child|parent|parents|partner|spouse|brother"
           r"|sister|grandmother|grandfather|grandma|grandpa)")
# "add insult to injury", "financial injury": injury words that are not about a body.
_NOT_FIGURATIVE = r"(?<!insult to )(?<!financial )(?<!malicious )(?<!deliberate )(?<!economic )"
# A young child (a bare "my children" is everyday banking: "can my kids have a card?").
_YOUNG_CHILD = r"(?:young|little|small) (?:child|children|kids?|son|daughter|boy|girl)"
_PHRASE_TABLE = (
    (SAFETY, "fire", r"(?:caught|catch|catches|catching|on|set|started a|burst into) fire\b", 16),
    (SAFETY, "fire", r"fire (?:hazard|broke out|started|department|brigade|fighters?)\b"),
    (SAFETY, "fire", r"(?:caused|causing|causes|sparked|sparking|could (?:start|cause)|nearly (?:started|caused)"
     r"|almost (?:started|caused)) (?:a |an )?(?:small |big |electrical )?fire\b", 40),
    (SAFETY, "fire", r"(?:electrical|battery|heater|appliance|charger|wiring|dryer|oven|stove|microwave|cooker"
     r"|kettle) fire\b", 12),
    (SAFETY, "flames", r"flames\b"),
    (SAFETY, "burned", r"burned\b"), (SAFETY, "burnt", r"burnt\b"), (SAFETY, "burns", r"burns\b"),
    (SAFETY, "burn", r"burn (?:marks?|injur)"),
    (SAFETY, "smoke", r"smoke\b"),
    (SAFETY, "injured", r"injured\b"),
    (SAFETY, "injury", _NOT_FIGURATIVE + r"injury\b(?!-in-fact| to (?:my|the|our|his|her) (?:credit|credibility|"
     r"reputation|consumer))"),
    (SAFETY, "injuries", _NOT_FIGURATIVE + r"injuries\b"),
    (SAFETY, "hurt", r"hurt (?:myself|himself|herself|themselves|ourselves|(?:my|his|her|their) " + _BODY_PARTS
     + r"|badly|seriously)\b"),
    (SAFETY, "hurt", r"(?:got|get|getting|was|were|been) (?:badly |seriously )?hurt\b", 20),
    (SAFETY, "hospital", r"(?:taken|rushed|went|go|admitted|ended up|sent|trip|straight) (?:to |in |into )?(?:the )?"
     r"hospital\b", 25),
    (SAFETY, "hospitalized", r"hospitalized"), (SAFETY, "hospitalised", r"hospitalised"),
    (SAFETY, "emergency", r"emergency (?:room|services|department)"),
    (SAFETY, "ambulance", r"ambulance"),
    (SAFETY, "shock", r"(?:electric|electrical|got an?|received an?) shock\b", 12),
    (SAFETY, "electrocuted", r"electrocuted"),
    (SAFETY, "exploded", r"exploded"), (SAFETY, "explode", r"explode"), (SAFETY, "explosion", r"explosion"),
    (SAFETY, "exploding", r"exploding"),
    (SAFETY, "poisoning", r"poisoning"), (SAFETY, "poisoned", r"poisoned"), (SAFETY, "poison", r"poison\b"),
    (SAFETY, "choking", r"choking"), (SAFETY, "choked", r"choked"),
    (SAFETY, "gas", r"gas leak"), (SAFETY, "carbon", r"carbon monoxide"),
    (SAFETY, "sparks", r"sparks\b"), (SAFETY, "sparking", r"sparking"),
    (SAFETY, "overheated", r"overheated"), (SAFETY, "overheating", r"overheating"),
    (SAFETY, "melted", r"melted"),
    (SAFETY, "allergic", r"allergic reaction"), (SAFETY, "bleeding", r"bleeding"),
    (SAFETY, "scalded", r"scalded"), (SAFETY, "unsafe", r"unsafe"),
    (SAFETY, "hazard", r"(?:fire|safety|choking|electrical|health) hazard", 10),
    (SAFETY, "died", r"(?:nearly|almost|could have|might have) died", 12),
    (SAFETY, "killed", r"(?:nearly|almost|could have|might have) (?:been )?killed", 17),
    (LEGAL, "sue", r"sue\b"), (LEGAL, "suing", r"suing\b"), (LEGAL, "sued", r"sued\b"),
    (LEGAL, "lawsuit", r"lawsuit"), (LEGAL, "lawsuits", r"lawsuits"), (LEGAL, "litigation", r"litigation"),
    (LEGAL, "litigate", r"litigate"),
    (LEGAL, "lawyer", r"lawyer"), (LEGAL, "lawyers", r"lawyers"), (LEGAL, "attorney", r"attorney"),
    (LEGAL, "attorneys", r"attorneys"), (LEGAL, "solicitor", r"solicitor"),
    (LEGAL, "solicitors", r"solicitors"), (LEGAL, "court", r"court\b"),
    (LEGAL, "legal", r"legal (?:action|proceedings|advice|counsel|steps|recourse|remedies)"),
    (LEGAL, "cfpb", r"cfpb"), (LEGAL, "bureau", r"consumer financial protection bureau", 30),
    (LEGAL, "ftc", r"ftc\b"), (LEGAL, "commission", r"federal trade commission", 14),
    (LEGAL, "bbb", r"bbb\b"), (LEGAL, "bureau", r"better business bureau", 16),
    (LEGAL, "ombudsman", r"ombudsman"), (LEGAL, "regulator", r"regulator"), (LEGAL, "regulators", r"regulators"),
    (LEGAL, "standards", r"trading standards", 8), (LEGAL, "fca", r"fca\b"),
    (LEGAL, "authority", r"financial conduct authority", 17), (LEGAL, "fdic", r"fdic"),
    (LEGAL, "protection", r"consumer protection (?:agency|office|bureau|department|authority)", 9),
    (LEGAL, "general", r"attorney general", 9),
    (MEDIA, "twitter", r"twitter"), (MEDIA, "tweet", r"tweet"), (MEDIA, "tweeted", r"tweeted"),
    (MEDIA, "tweeting", r"tweeting"), (MEDIA, "facebook", r"facebook"),
    (MEDIA, "instagram", r"instagram"), (MEDIA, "tiktok", r"tiktok"), (MEDIA, "youtube", r"youtube"),
    (MEDIA, "reddit", r"reddit"), (MEDIA, "linkedin", r"linkedin"), (MEDIA, "social", r"social media"),
    (MEDIA, "news", r"(?:the|local|tv|evening|national) news\b", 9),
    (MEDIA, "news", r"news (?:outlets?|stations?|channels?|papers?|media)"),
    (MEDIA, "newspaper", r"newspaper"), (MEDIA, "newspapers", r"newspapers"),
    (MEDIA, "journalist", r"journalist"), (MEDIA, "journalists", r"journalists"),
    (MEDIA, "reporter", r"(?<!credit )reporter\b"), (MEDIA, "reporters", r"(?<!credit )reporters"),
    (MEDIA, "press", r"the press\b", 4), (MEDIA, "media", r"(?:the|news|local|mass) media", 6),
    (MEDIA, "viral", r"(?:go|goes|going|went) viral", 7),
    (MEDIA, "trustpilot", r"trustpilot"), (MEDIA, "yelp", r"yelp"),
    (MEDIA, "review", r"(?:bad|negative|1-star|one-star|one star|1 star|terrible|honest) review", 10),
    (MEDIA, "reviews", r"(?:bad|negative|1-star|one-star|one star|1 star|terrible|honest) reviews", 10),
    (MEDIA, "x", r"(?:post|share|tweet)\w* (?:this |it |about (?:this|it) |everything )?(?:on|to) x\b(?!x)", 30),
    (FINANCIAL_LOSS, "savings", r"(?:lost|lose|losing|drained|wiped out|took) (?:all )?(?:of )?(?:my|our) "
     r"(?:life |entire |retirement )?savings", 40),
    (FINANCIAL_LOSS, "drained", r"drained (?:my|our) (?:bank )?account"),
    (FINANCIAL_LOSS, "emptied", r"emptied (?:my|our) (?:bank )?account"),
    (FINANCIAL_LOSS, "unauthorized", r"unauthori[sz]ed (?:charges?|transactions?|withdrawals?|debits?|payments?)"),
    (FINANCIAL_LOSS, "unauthorised", r"unauthorised (?:charges?|transactions?|withdrawals?|debits?|payments?)"),
    (FINANCIAL_LOSS, "fraudulent", r"fraudulent (?:charges?|transactions?|withdrawals?|debits?|payments?)"),
    (FINANCIAL_LOSS, "theft", r"identity theft", 9),
    (FINANCIAL_LOSS, "scammed", r"scammed"),
    (FINANCIAL_LOSS, "stolen", r"stolen (?:money|funds|card)"),
    (FINANCIAL_LOSS, "stole", r"stole (?:my|our) (?:money|funds|savings)"),
    (VULNERABLE, "elderly", r"elderly"), (VULNERABLE, "senior", r"senior citizens?"),
    (VULNERABLE, "pensioner", r"pensioner"),
    (VULNERABLE, "pensioners", r"pensioners"), (VULNERABLE, "old", r"\b(?:[7-9]\d|1[01]\d)[- ]years?[- ]old", 10),
    (VULNERABLE, "disabled", r"disabled"), (VULNERABLE, "disability", r"disability"),
    (VULNERABLE, "disabilities", r"disabilities"), (VULNERABLE, "handicapped", r"handicapped"),
    (VULNERABLE, "wheelchair", r"wheelchair"), (VULNERABLE, "blind", r"blind\b"), (VULNERABLE, "deaf", r"deaf\b"),
    (VULNERABLE, "pregnant", r"pregnant"), (VULNERABLE, "pregnancy", r"pregnancy"),
    (VULNERABLE, "newborn", r"newborn"), (VULNERABLE, "infant", r"infant"), (VULNERABLE, "toddler", r"toddler"),
    (VULNERABLE, "baby", r"baby\b"),
    (VULNERABLE, "young", _YOUNG_CHILD), (VULNERABLE, "little", _YOUNG_CHILD), (VULNERABLE, "small", _YOUNG_CHILD),
    (VULNERABLE, "old", r"(?:[1-9]|1[0-7])[- ](?:year|month)s?[- ]old (?:child|son|daughter|boy|girl|baby|kid)", 6),
    (VULNERABLE, "cancer", r"cancer"), (VULNERABLE, "chemotherapy", r"chemotherapy"), (VULNERABLE, "chemo", r"chemo\b"),
    (VULNERABLE, "dialysis", r"dialysis"), (VULNERABLE, "terminally", r"terminally ill"),
    (VULNERABLE, "dementia", r"dementia"), (VULNERABLE, "alzheimer", r"alzheimer"),
    (VULNERABLE, "alzheimers", r"alzheimers"), (VULNERABLE, "stroke", r"(?:had|suffered) a stroke", 9),
    (VULNERABLE, "heart", r"heart (?:attack|condition|failure|surgery)"),
    (VULNERABLE, "condition", r"medical condition", 8), (VULNERABLE, "mental", r"mental health"),
    (VULNERABLE, "illness", r"(?:serious|terminal|chronic|mental) illness", 9),
    (VULNERABLE, "hospice", r"hospice"), (VULNERABLE, "surgery", r"surgery"),
    (VULNERABLE, "died", _FAMILY + r" (?:recently |suddenly )?died", 30),
    (VULNERABLE, "passed", _FAMILY + r" (?:recently |suddenly )?passed(?: away)?\b", 30),
    (VULNERABLE, "death", r"death (?:of|in) (?:my|our|the family)"), (VULNERABLE, "deceased", r"deceased"),
    (VULNERABLE, "funeral", r"funeral"), (VULNERABLE, "widow", r"widow\b"), (VULNERABLE, "widowed", r"widowed"),
    (VULNERABLE, "widower", r"widower"), (VULNERABLE, "bereavement", r"bereavement"),
    (VULNERABLE, "late", r"late " + _FAMILY),
)
_CHINESE_TERMS = {
    SAFETY: r"着火|起火|失火|冒烟|爆炸|炸了|受伤|烧伤|烫伤|触电|漏电|中毒|窒息|噎住|送医|急诊|流血|骨折|安全隐患|自燃",
    LEGAL: r"起诉|诉讼|律师|法院|打官司|消协|消费者协会|12315|工商局|市场监管|银保监|仲裁|法律途径|(?<![警报转广通忠劝])告你",
    MEDIA: r"微博|抖音|小红书|朋友圈|媒体|记者|曝光|上新闻|热搜|差评",
    FINANCIAL_LOSS: r"盗刷|被骗|损失|血汗钱|积蓄",
    VULNERABLE: r"老人|老年人|年迈|残疾|残障|孕妇|怀孕|婴儿|宝宝|小孩|孩子|病人|癌症|去世|过世|离世|低保|独居",
}
_CHINESE = {name: re.compile(terms) for name, terms in _CHINESE_TERMS.items()}

# Money amounts: a currency sign or code before or after a number, with an optional "k", "million" or 万.
_AMOUNT = re.compile(
    r"(?P<sign>[$£€¥])\s?\{?(?P<n1>\d[\d,]*(?:\.\d+)?)(?:\s?(?P<m1>k|m|million|thousand|万)\b)?"
    r"|(?P<n2>\d[\d,]*(?:\.\d+)?)\s?(?P<m2>k|million|thousand|万)?\s?"
    r"(?P<code>usd|dollars?|bucks|eur|euros?|gbp|pounds?|rmb|cny|yuan|元|块)")
_CURRENCY = {"$": "USD", "£": "GBP", "€": "EUR", "¥": "CNY", "usd": "USD", "dollar": "USD", "dollars": "USD",
             "bucks": "USD", "eur": "EUR", "euro": "EUR", "euros": "EUR", "gbp": "GBP", "pound": "GBP",
             "pounds": "GBP", "rmb": "CNY", "cny": "CNY", "yuan": "CNY", "元": "CNY", "块": "CNY"}
_MULTIPLIER = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "万": 1e4}
_MONEY_MARKS = ("$", "£", "€", "¥", "元", "块", "usd", "dollar", "eur", "pound", "gbp", "rmb", "yuan", "bucks")
# An amount is a loss when the complaint also says money went or is owed.
_LOSS_WORDS = frozenset(
    "charged overcharged charge charges charging lost lose losing loss stolen fraud fraudulent scam scammed refund "
    "refunded owe owed debit debited withdrew withdrawn withdrawal withdrawals took missing fee fees paid pay paying "
    "payment payments billed bill billing unauthorized unauthorised deducted taken cost costs".split())
_LARGE_LOSS_WORDS = re.compile(r"saving|drained|emptied|血汗钱|积蓄")  # losses that are large without a number
_CHINESE_LOSS = re.compile(r"扣|被骗|损失|退款|多收|盗刷|付了|花了|收费")

_NEGATORS = frozenset(
    "no not never nobody none without neither nor cannot didn't don't doesn't wasn't weren't isn't aren't won't "
    "haven't hasn't hadn't can't couldn't wouldn't shouldn't didnt dont doesnt wasnt werent isnt arent wont".split())
_NOT_NEGATING = frozenset("hesitate afraid only".split())  # "won't hesitate to sue" still threatens
_CLAUSE_BREAK = re.compile(r"[.,;:!?\n]| but | however ")
_CHINESE_NEGATORS = re.compile(r"没|不|未|无|别")
# Punctuation to turn into spaces before splitting words, apostrophes kept ("don't"); a regex, as str.translate
# is slow on non-ASCII text.
_PUNCTUATION = re.compile("[" + re.escape(string.punctuation.replace("'", "") + "，。！？；：") + "]")
_QUESTION_START = re.compile(
    r"^\s*(?:(?:how|what|when|where|which|why|can|could|is|are|do|does|will|would|should|may)\b|请问|怎么|如何|能否)")
_INQUIRY = re.compile(r"\?|？|\bi would like to know\b|\bwondering\b|请问|吗[。？?]?$|咨询")


_TABLE = PhraseTable(_PHRASE_TABLE)


def assess_severity(
    text: str,
    *,
    subject: str = "",
    prior_complaints_30d: int = 0,
    sentiment: float | None = None,
    rules: SeverityRules = DEFAULT_RULES,
) -> SeverityAssessment:
    """Finds the severity signals in a complaint and turns them into a priority."""
    whole = f"{subject}\n{text or ''}" if subject else (text or "")
    lower = whole[:MAX_CHARS].lower()
    found: dict[str, str] = {}  # signal -> evidence, first one found
    _english_signals(lower, found)
    if not lower.isascii():
        _chinese_signals(lower, found)
    amount, currency, amount_text = _largest_loss_amount(lower)
    if amount_text:
        found.setdefault(FINANCIAL_LOSS, amount_text)
    if prior_complaints_30d >= rules.repeat_threshold:
        found[REPEAT_CUSTOMER] = f"{prior_complaints_30d} complaints in the last 30 days"
    if sentiment is not None and sentiment <= rules.strong_negative:
        found[NEGATIVE_SENTIMENT] = f"sentiment {sentiment:.2f}"
    rule, base, level, explanation = _priority(found, amount, currency, lower, sentiment, rules)
    signals = tuple(Signal(name, evidence) for name, evidence in found.items())
    return SeverityAssessment(PRIORITIES[level - 1], signals, explanation, rule, base - level, amount, currency)


def _english_signals(lower: str, found: dict[str, str]) -> None:
    present = _TABLE.triggers.intersection(_PUNCTUATION.sub(" ", lower).split())
    for trigger in sorted(present, key=lower.find):  # in text order, so the evidence is the first occurrence
        at, tries = lower.find(trigger), 0
        while at != -1 and tries < MAX_TRIGGER_HITS:
            if at == 0 or not lower[at - 1].isalnum():
                tries += 1
                for phrase in _TABLE.phrases(trigger):
                    if phrase.signal in found:
                        continue
                    if phrase.back:
                        match = phrase.pattern.search(lower, max(0, at - phrase.back), at + 60)
                    else:
                        match = phrase.pattern.match(lower, at)
                    if match and not _negated(lower, match.start()):
                        found[phrase.signal] = match.group()
            at = lower.find(trigger, at + len(trigger))


def _negated(lower: str, start: int) -> bool:
    """True when one of the five words before `start`, in the same clause, negates it."""
    before = _CLAUSE_BREAK.split(lower[max(0, start - 60):start])[-1].split()[-5:]
    return not _NOT_NEGATING.intersection(before) and not _NEGATORS.isdisjoint(before)


def _chinese_signals(lower: str, found: dict[str, str]) -> None:
    for name, pattern in _CHINESE.items():
        if name in found:
            continue
        for match in pattern.finditer(lower):
            before = lower[max(0, match.start() - 3):match.start()].replace("不得不", "")
            if not _CHINESE_NEGATORS.search(before):
                found[name] = match.group()
                break


def _largest_loss_amount(lower: str) -> tuple[float | None, str | None, str | None]:
    """The largest money amount in a text that talks about losing or paying money."""
    if not any(mark in lower for mark in _MONEY_MARKS):
        return None, None, None
    if _LOSS_WORDS.isdisjoint(_PUNCTUATION.sub(" ", lower).split()) and not _CHINESE_LOSS.search(lower):
        return None, None, None
    best: tuple[float, str, str] | None = None
    for match in _AMOUNT.finditer(lower):
        number = match.group("n1") or match.group("n2")
        try:
            value = float(number.replace(",", ""))
        except ValueError:
            continue
        value *= _MULTIPLIER.get(match.group("m1") or match.group("m2") or "", 1.0)
        currency = _CURRENCY[match.group("sign") or match.group("code")]
        if best is None or value > best[0]:
            best = (value, currency, match.group().strip())
    return best if best else (None, None, None)


def _priority(found, amount, currency, lower, sentiment, rules: SeverityRules) -> tuple[str, int, int, str]:
    """The most urgent level any rule sets, then the raises. Returns (deciding rule, its level, the level after
    the raises, explanation)."""
    candidates: list[tuple[int, str, str]] = []  # (level, rule, reason), in RULE_LEVELS order
    if SAFETY in found:
        candidates.append((rules.safety_level, "safety", "safety risk"))
    if LEGAL in found:
        others = set(found) - {LEGAL}
        if others:
            candidates.append((rules.legal_with_other_level, "legal_with_other",
                               f"legal or regulator, with {', '.join(sorted(others))}"))
        else:
            candidates.append((rules.legal_alone_level, "legal_alone", "legal or regulator"))
    if MEDIA in found:
        candidates.append((rules.media_level, "media", "media or social exposure"))
    if FINANCIAL_LOSS in found:
        large = bool(_LARGE_LOSS_WORDS.search(found[FINANCIAL_LOSS])) or (  # "lost my life savings"
            amount is not None and amount >= rules.large_amounts.get(currency or "", float("inf")))
        candidates.append((rules.large_loss_level, "large_loss", "large financial loss") if large
                          else (rules.small_loss_level, "small_loss", "financial loss"))
    if not found and _is_inquiry_or_praise(lower, sentiment, rules):
        return "inquiry", rules.inquiry_level, rules.inquiry_level, "a neutral or positive question or compliment"
    if candidates:
        base = min(level for level, _, _ in candidates)
        rule = next(name for level, name, _ in candidates if level == base)
        explanation = "; ".join(reason for level, _, reason in candidates if level == base)
    else:
        base, rule, explanation = rules.baseline_level, "baseline", "no severity signal"
    level = base
    if VULNERABLE in found:
        level, explanation = max(1, level - rules.vulnerable_raise), explanation + "; raised: vulnerable customer"
    if REPEAT_CUSTOMER in found:
        level, explanation = max(1, level - rules.repeat_raise), explanation + "; raised: repeat complaints"
    if NEGATIVE_SENTIMENT in found and level > rules.sentiment_raise_ceiling:
        level = max(rules.sentiment_raise_ceiling, level - rules.sentiment_raise)
        explanation += "; raised: strong negative feeling"
    return rule, base, level, explanation


def _is_inquiry_or_praise(lower: str, sentiment: float | None, rules: SeverityRules) -> bool:
    """Needs a sentiment score: without one, a question may still be a complaint ("why was I charged twice?")."""
    if sentiment is None:
        return False
    if sentiment >= rules.compliment_sentiment:
        return True
    return sentiment >= rules.inquiry_min_sentiment and bool(_QUESTION_START.search(lower) or _INQUIRY.search(lower))
