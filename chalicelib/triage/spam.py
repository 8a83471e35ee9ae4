"""Spam score of an incoming message from its content and its channel (pure Python, regexes only).

`score_spam(text, subject=..., channel=..., sender_email=..., ses_spam_verdict=...)` adds the points of every
signal that fires (links, shorteners, offers, unsubscribe footers, shouting, obfuscated words, sender and
channel hints) and calls the message spam at `SpamWeights.threshold`. Each fired signal keeps the text that
fired it, so a person can see why. Complaints talk about money, loans and credit too: the phrases look for the
way offers are worded ("earn $500 a day", "click here", "bad credit OK"), never for the topic alone.

Speed: each phrase starts with a trigger word and is only tried where that word occurs (found with
`str.find`), so the cost follows the few trigger words a message has, not phrases x text length.
Calibrated on SpamAssassin's spam corpus against CFPB complaint narratives and banking77 queries.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache

from .phrases import PhraseTable

HEAD_CHARS, TAIL_CHARS = 3000, 1000  # long messages are read at both ends: offers open, footers close
MAX_TRIGGER_HITS = 25  # places tried per trigger word, so a word repeated a thousand times stays cheap


@dataclass(frozen=True)
class SpamWeights:
    """Points per signal; a message with `threshold` points or more is spam."""

    threshold: float = 5.0
    many_links: float = 1.0  # three or more distinct links
    very_many_links: float = 2.0  # six or more
    url_shortener: float = 2.5
    ip_address_link: float = 2.5
    odd_link_domain: float = 1.0  # top-level domains that are cheap to register (.top, .xyz ...)
    repeated_link: float = 1.5
    click_here: float = 2.0  # only with a link in the message
    unsubscribe: float = 2.5
    bulk_mail_notice: float = 2.5  # "you received this because...", "this is not spam"
    prize: float = 3.0
    money_offer: float = 2.5
    sales_pitch: float = 1.5  # per distinct phrase, up to three
    price_pitch: float = 1.5
    loan_offer: float = 2.5
    crypto_offer: float = 2.5
    pharma_adult: float = 3.0
    marketing: float = 2.0
    phishing: float = 1.5
    messenger_contact: float = 2.0
    sms_opt_out: float = 3.0
    obfuscated_word: float = 3.0
    shouting: float = 1.5
    exclamations: float = 0.5
    html_markup: float = 1.0
    chinese_marketing: float = 2.5
    chinese_sales_words: float = 1.0  # per distinct word, up to three
    advert_subject: float = 3.0
    gtube: float = 10.0  # the standard anti-spam test string
    ses_spam_fail: float = 4.0
    sender_link_mismatch: float = 1.0
    numbered_sender: float = 1.0  # five or more digits in the sender's mailbox name
    sms_link_only: float = 3.0


DEFAULT_WEIGHTS = SpamWeights()
# Signals that add their points once per distinct phrase, up to this many; the others count once.
_COUNTED = {"sales_pitch": 3, "chinese_sales_words": 3, "prize": 2, "money_offer": 2, "loan_offer": 2,
            "crypto_offer": 2, "pharma_adult": 2, "marketing": 2, "chinese_marketing": 2}


@dataclass(frozen=True)
class SpamSignal:
    name: str
    points: float
    evidence: str


@dataclass(frozen=True)
class SpamVerdict:
    score: float
    is_spam: bool
    signals: tuple[SpamSignal, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(signal.name for signal in self.signals)


# Phrases as (signal, trigger word, pattern). A pattern is matched where its trigger word starts, or, with a
# `back` distance, searched from that many characters before it. Patterns are lower case.
_PHRASE_TABLE = (
    ("click_here", "click", r"click (?:here|below|now|the (?:link|button) below|this link|on (?:the )?link below)\b"),
    ("click_here", "below", r"(?:visit|go to) (?:our|the) (?:web ?site|link|page) below", 40),
    ("click_here", "paste", r"copy (?:and|&) paste (?:it|the link|this)", 9),
    ("click_here", "gotothis", r"gotothis\b"),
    ("unsubscribe", "unsubscribe", r"(?:to |click (?:here )?to )?unsubscribe(?:\b| (?:here|below|link|at any time)|"
                                   r"\.\w{2,4}\b)", 20),
    ("unsubscribe", "opt", r"opt[- ]?out (?:instructions|here|below|link|at any time)"),
    ("unsubscribe", "optout", r"optout (?:instructions|here|below|link)"),
    ("unsubscribe", "wish", r"wish to (?:be removed\b|receive (?:further|future|more))"),
    ("unsubscribe", "reply", r"reply (?:back )?with (?:the word )?[\"']?remove"),
    ("unsubscribe", "removed", r"removed from (?:our|this|the) (?:mailing |e-?mail )?list"),
    ("unsubscribe", "removed", r"to be removed,? (?:please|click|visit|reply|send)", 6),
    ("bulk_mail_notice", "because", r"(?:this (?:e-?mail|message) (?:was|is being) sent to you|you (?:are )?"
                                    r"receiv(?:ed|ing) this (?:e-?mail|message|mailing)) because", 60),
    ("bulk_mail_notice", "spam", r"this is not spam", 12),
    ("bulk_mail_notice", "unsolicited", r"this is not unsolicited", 12),
    ("bulk_mail_notice", "advertise", r"advertise via e-?mail"),
    ("bulk_mail_notice", "independent", r"independent marketing"),
    ("bulk_mail_notice", "mailing", r"mailing is done by"),
    ("bulk_mail_notice", "compliance", r"sent in compliance with", 8),
    ("bulk_mail_notice", "1618", r"s\.? ?1618", 3),
    ("bulk_mail_notice", "apologize", r"apologize if this (?:message|e-?mail) (?:has )?reached you"),
    ("bulk_mail_notice", "apologise", r"apologise if this (?:message|e-?mail) (?:has )?reached you"),
    ("prize", "congratulations", r"congratulations\b.{0,40}\b(?:won|winner|selected|chosen|prize|reward)"),
    ("prize", "congratulation", r"congratulation\b.{0,40}\b(?:won|winner|selected|chosen|prize|reward)"),
    ("prize", "selected", r"selected (?:to receive|for (?:a|our) (?:free|prize|reward))"),
    ("prize", "chosen", r"chosen (?:to receive|for (?:a|our) (?:free|prize|reward))"),
    ("prize", "won", r"won (?:a |an |our )?(?:free|prize|\$|cash|vacation|lottery)"),
    ("prize", "winner", r"winners? (?:of (?:our|the) (?:draw|lottery)|notification)"),
    ("prize", "claim", r"claim your (?:prize|reward|gift|bonus)"),
    ("prize", "prize", r"cash prize", 5),
    ("prize", "sweepstakes", r"sweepstakes"),
    ("prize", "lottery", r"lottery (?:winner|prize|award)"),
    ("prize", "free", r"free (?:gift|vacation|trip|cruise|ipad|iphone|2 day vip)"),
    ("prize", "giveaway", r"giveaway\b"),
    ("money_offer", "money", r"make (?:big )?money\b", 9),
    ("money_offer", "earn", r"earn (?:up to )?\$?\d[\d,]*\+? (?:per|a|every) (?:day|week|month|hour)"),
    ("money_offer", "home", r"work(?:ing)? from home(?:!| (?:opportunity|business|and earn))", 13),
    ("money_offer", "income", r"(?:extra|residual) income", 9),
    ("money_offer", "freedom", r"financial freedom", 10),
    ("money_offer", "rich", r"get rich", 4),
    ("money_offer", "boss", r"be your own boss", 12),
    ("money_offer", "fortune", r"fortune (?:over|on|from) the internet"),
    ("money_offer", "double", r"double your (?:money|income)"),
    ("money_offer", "obscene", r"obscene amounts of money"),
    ("money_offer", "fist", r"hand over fist", 10),
    ("money_offer", "multi", r"multi-?million dollar company"),
    ("money_offer", "compensation", r"compensation plan"),
    ("sales_pitch", "now", r"(?:act|order (?:yours )?|buy|call) now\b", 13),
    ("sales_pitch", "don", r"don't (?:delay|miss out|fall prey)"),
    ("sales_pitch", "limited", r"limited time (?:offer|only)"),
    ("sales_pitch", "special", r"special (?:offer|promotion|package deal|deal)"),
    ("sales_pitch", "exclusive", r"exclusive (?:offer|deal)"),
    ("sales_pitch", "lowest", r"lowest prices?\b"),
    ("sales_pitch", "best", r"best prices?\b"),
    ("sales_pitch", "lifetime", r"once in a lifetime", 10),
    ("sales_pitch", "risk", r"risk[- ]free"),
    ("sales_pitch", "100", r"100% (?:free|guaranteed|natural|satisfaction)"),
    ("sales_pitch", "satisfaction", r"satisfaction guaranteed"),
    ("sales_pitch", "money", r"money[- ]back guarantee"),
    ("sales_pitch", "card", r"no credit card (?:needed|required)", 10),
    ("sales_pitch", "obligation", r"no obligation", 3),
    ("sales_pitch", "shipping", r"free shipping", 5),
    ("sales_pitch", "instant", r"instant access"),
    ("sales_pitch", "seen", r"as seen on", 3),
    ("sales_pitch", "brand", r"brand[- ]new version"),
    ("sales_pitch", "cheap", r"cheap (?:soft(?:ware)?|meds|pills)"),
    ("price_pitch", "only", r"only (?:\$\d|for \d+\s?\$)"),
    ("price_pitch", "retail", r"\$\d[\d,.]*(?:-plus)? (?:combined )?retail value", 30),
    ("price_pitch", "save", r"save (?:up to )?\d+%"),
    ("price_pitch", "off", r"\b\d{2}% off\b", 5),
    ("loan_offer", "instant", r"instant (?:loan|cash|approval)s?\b"),
    ("loan_offer", "fast", r"fast (?:loan|cash|approval)s?\b"),
    ("loan_offer", "quick", r"quick (?:loan|cash|approval)s?\b"),
    ("loan_offer", "easy", r"easy (?:loan|cash|approval)s?\b"),
    ("loan_offer", "guaranteed", r"guaranteed (?:loan|cash|approval)s?\b"),
    ("loan_offer", "bad", r"bad credit (?:ok|okay|welcome|no problem)"),
    ("loan_offer", "check", r"no credit check", 10),
    ("loan_offer", "qualify", r"you qualify for (?:a |an )?(?:loan|low rate)", 4),
    ("loan_offer", "lower", r"lower your (?:mortgage|monthly) (?:rate|payment)s? (?:today|now)"),
    ("loan_offer", "refinance", r"refinance (?:now|today)"),
    ("loan_offer", "advance", r"cash advance (?:now|today|online)", 5),
    ("crypto_offer", "bitcoin", r"bitcoin (?:investment|trading) (?:opportunity|signals?|plan)"),
    ("crypto_offer", "crypto", r"crypto (?:investment|trading) (?:opportunity|signals?|plan)"),
    ("crypto_offer", "cryptocurrency", r"cryptocurrency (?:investment|trading) (?:opportunity|signals?|plan)"),
    ("crypto_offer", "forex", r"forex (?:investment|trading) (?:opportunity|signals?|plan)"),
    ("crypto_offer", "guaranteed", r"guaranteed (?:daily |weekly )?(?:returns?|profits?)"),
    ("crypto_offer", "opportunity", r"investment opportunity", 11),
    ("crypto_offer", "double", r"double your (?:bitcoin|crypto|investment)"),
    ("crypto_offer", "daily", r"daily (?:returns?|profits?) of \d"),
    ("crypto_offer", "weekly", r"weekly (?:returns?|profits?) of \d"),
    ("pharma_adult", "viagra", r"viagra"),
    ("pharma_adult", "cialis", r"cialis"),
    ("pharma_adult", "levitra", r"levitra"),
    ("pharma_adult", "vicodin", r"vicodin"),
    ("pharma_adult", "xanax", r"xanax"),
    ("pharma_adult", "phentermine", r"phentermine"),
    ("pharma_adult", "pharmacy", r"online pharmacy", 7),
    ("pharma_adult", "casino", r"online casino|casino bonus", 7),
    ("pharma_adult", "script", r"no (?:dr-?)?script (?:needed|required)", 7),
    ("pharma_adult", "prescription", r"no prescription (?:needed|required)", 3),
    ("pharma_adult", "medz", r"medz\b"),
    ("pharma_adult", "rx", r"-rx\b", 1),
    ("pharma_adult", "pills", r"(?:weight loss|enlargement) pills?", 12),
    ("pharma_adult", "penis", r"penis"),
    ("pharma_adult", "porn", r"porn"),
    ("pharma_adult", "hardcore", r"hardcore"),
    ("pharma_adult", "uncensored", r"uncensored"),
    ("pharma_adult", "horny", r"horny"),
    ("pharma_adult", "sluts", r"sluts"),
    ("pharma_adult", "fetish", r"fetish"),
    ("pharma_adult", "ck", r"f\*ck", 2),
    ("pharma_adult", "singles", r"hot singles", 4),
    ("marketing", "seo", r"seo\b"),
    ("marketing", "engine", r"search engine (?:optimi[sz]ation|ranking|marketing)", 7),
    ("marketing", "google", r"first page (?:of|on) google", 20),
    ("marketing", "traffic", r"(?:increase|boost|drive) (?:your )?(?:website )?traffic", 30),
    ("marketing", "backlinks", r"backlinks"),
    ("marketing", "design", r"web ?design (?:services|company)", 4),
    ("marketing", "digital", r"digital marketing"),
    ("marketing", "marketing", r"(?:e-?mail )?marketing (?:services|agency|campaign)", 7),
    ("marketing", "grow", r"grow your business"),
    ("marketing", "generation", r"lead generation", 5),
    ("marketing", "opportunity", r"business opportunity", 9),
    ("marketing", "proposal", r"business proposal", 9),
    ("marketing", "affiliate", r"affiliate (?:program|partners?|sites?)"),
    ("marketing", "bulk", r"bulk (?:e-?mail|mail|sms|messaging)"),
    ("marketing", "mass", r"mass (?:e-?mail|mailing|sms|messaging)"),
    ("marketing", "addresses", r"million (?:e-?mail )?addresses", 16),
    ("phishing", "verify", r"verify your (?:account|identity|password)"),
    ("phishing", "suspended", r"account (?:has been|will be) suspended", 22),
    ("phishing", "locked", r"account (?:has been|will be) locked", 22),
    ("phishing", "confirm", r"confirm your (?:account|identity|password|billing)"),
    ("phishing", "update", r"update your (?:billing|payment) (?:information|details)"),
    ("messenger_contact", "whatsapp", r"whatsapp\s*(?:id|number)?\s*[:：]\s*[+\w-]{5,}"),
    ("messenger_contact", "wechat", r"wechat\s*(?:id)?\s*[:：]\s*[\w-]{5,}"),
    ("messenger_contact", "wehat", r"wehat\s*[:：]\s*[\w-]{5,}"),
    ("messenger_contact", "telegram", r"telegram\s*(?:id)?\s*[:：]\s*@?[\w-]{5,}"),
    ("messenger_contact", "qq", r"qq\s*(?:号)?\s*[:：]\s*\d{5,}"),
    ("messenger_contact", "skype", r"skype\s*(?:id)?\s*[:：]\s*[\w.-]{5,}"),
    ("sms_opt_out", "stop", r"(?:reply|text|txt) stop\b|stop to (?:opt[- ]?out|unsubscribe|end|cancel|quit)\b", 6),
)


_TABLE = PhraseTable(_PHRASE_TABLE)
# Chinese has no spaces around words: these run over the whole text when it has non-ASCII characters.
_CHINESE_MARKETING = re.compile(
    r"代开发票|发票代开|日赚|日结|刷单|博彩|加(?:我)?(?:微信|qq|v信|vx)|客户开发|群发|有意者|诚招|代理加盟|中奖|恭喜您"
    r"|免费领取|免費領取|一网打尽|外贸客户|永久网址|永久網址|回t退订|退订回t|回复t退订|微信[:：]\s*\w{5,}")
_CHINESE_SALES_WORDS = re.compile(r"优惠|優惠|促销|促銷|特价|特價|批量|货到付款|送货上门|洽谈|报价|合作伙伴|新片|咨询体验|拜年")

_F = re.IGNORECASE
# Links: spelled-out case instead of IGNORECASE, which makes these classes slow to compile.
_LINK = re.compile(r"(?:[Hh][Tt][Tt][Pp][Ss]?|[Ff][Tt][Pp])://[^\s<>\"')\]]+|[Ww][Ww][Ww]\.[^\s<>\"')\]]+")
_HOST = re.compile(r"^(?:[A-Za-z]+://)?(?:[^@/\s]*@)?([^/:?#\s]+)")
_IP_HOST = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_SHORTENERS = frozenset(
    "bit.ly tinyurl.com goo.gl t.co ow.ly is.gd buff.ly cutt.ly rebrand.ly t.ly shorturl.at rb.gy tiny.cc "
    "bl.ink s.id v.gd qr.net lnkd.in soo.gd clck.ru u.to short.io x.co t.cn url.cn dwz.cn".split())
_ODD_TLDS = frozenset("top xyz click loan win bid work party review stream gq tk ml cf ga icu buzz cam rest".split())
# Punctuation to turn into spaces before splitting words (a regex: str.translate is slow on non-ASCII text).
_PUNCTUATION = re.compile("[" + re.escape(string.punctuation + "：，。！？（）【】、；“”‘’") + "]")
_HTML_TAG = re.compile(r"<\s*/?\s*(?:font|table|td|tr|br|div|span|a\s+href|img|center|html|body|style|b|p)\b", _F)
_GTUBE = "GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL"
_ADVERT_SUBJECT = re.compile(r"^\s*(?:adv|ad|advert|广告)\s*[:：\]]", _F)

# Spam words written with look-alike digits or symbols, or split by dots (v1agra, via.gra, C1a115).
_LOOK_ALIKE = {"a": "a@4", "e": "e3", "i": "i1!|l", "l": "l1|i", "o": "o0", "s": "s5$z", "t": "t7+", "c": "ck"}
_OBFUSCATION_TARGETS = (
    "viagra", "cialis", "vicodin", "xanax", "valium", "levitra", "pharmacy", "casino", "porn", "discount",
    "purchase", "prescription", "free", "money", "cheap", "bitcoin", "winner", "prize", "bonus",
)


@cache
def _obfuscated() -> re.Pattern:
    """Compiled on first use (it is large): each target word, each letter as itself or a look-alike."""
    return re.compile("|".join(
        r"[.\-*_'|]?".join(f"[{re.escape(_LOOK_ALIKE.get(ch, ch))}]+" for ch in word) for word in _OBFUSCATION_TARGETS
    ), _F)
_TOKEN_EDGE = "\"'()[]<>{},;:?!"


def score_spam(
    text: str,
    *,
    subject: str = "",
    channel: str | None = None,
    sender_email: str | None = None,
    ses_spam_verdict: str | None = None,
    weights: SpamWeights = DEFAULT_WEIGHTS,
) -> SpamVerdict:
    """Scores one message. `channel` is "email", "sms" or "web" (a Channel works too)."""
    body = _sample(text or "")
    whole = f"{subject}\n{body}" if subject else body
    lower = whole.lower()
    found: dict[str, list[str]] = {}  # signal -> evidence

    if _GTUBE in whole:
        found["gtube"] = [_GTUBE]
    links = _LINK.findall(whole) if "://" in lower or "www." in lower else []
    hosts = [_host(link) for link in links]
    _link_signals(links, hosts, found)
    _phrase_signals(lower, found)
    if "click_here" in found and not links and "<a" not in lower:
        del found["click_here"]  # "click here" means something only next to a link
    _token_signals(whole.split(), found)
    if "<" in whole and len(_HTML_TAG.findall(whole)) >= 3:
        found["html_markup"] = [_HTML_TAG.search(whole).group()]
    if whole.count("!!") >= 2 or "$$$" in whole:
        found["exclamations"] = ["!!" if "!!" in whole else "$$$"]
    if subject and _ADVERT_SUBJECT.search(subject):
        found["advert_subject"] = [subject]
    _sender_signals(channel, sender_email, ses_spam_verdict, hosts, found)
    if _channel_value(channel) == "sms" and links and _few_words(lower):
        found["sms_link_only"] = [links[0]]
    signals = tuple(_signal(name, evidence, weights) for name, evidence in found.items())
    score = round(sum(signal.points for signal in signals), 2)
    return SpamVerdict(score, score >= weights.threshold, signals)


def _signal(name: str, evidence: list[str], weights: SpamWeights) -> SpamSignal:
    distinct = list(dict.fromkeys(evidence))
    count = min(len(distinct), _COUNTED.get(name, 1))
    return SpamSignal(name, getattr(weights, name) * count, ", ".join(distinct[:count])[:80])


def _sample(text: str) -> str:
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return f"{text[:HEAD_CHARS]}\n{text[-TAIL_CHARS:]}"


def _phrase_signals(lower: str, found: dict[str, list[str]]) -> None:
    """Tries each phrase only where its trigger word occurs."""
    present = _TABLE.triggers.intersection(_PUNCTUATION.sub(" ", lower).split())
    for trigger in sorted(present, key=lower.find):  # in text order, so results do not depend on set order
        at, tries = lower.find(trigger), 0
        while at != -1 and tries < MAX_TRIGGER_HITS:
            if at == 0 or not lower[at - 1].isalnum():
                tries += 1
                for phrase in _TABLE.phrases(trigger):
                    if phrase.signal in found and phrase.signal not in _COUNTED:
                        continue
                    if phrase.back:
                        match = phrase.pattern.search(lower, max(0, at - phrase.back), at + 80)
                    else:
                        match = phrase.pattern.match(lower, at)
                    if match:
                        found.setdefault(phrase.signal, []).append(match.group())
            at = lower.find(trigger, at + len(trigger))
    if not lower.isascii():
        marketing = _CHINESE_MARKETING.findall(lower)
        if marketing:
            found["chinese_marketing"] = marketing
        sales = _CHINESE_SALES_WORDS.findall(lower)
        if sales:
            found["chinese_sales_words"] = sales


def _link_signals(links: list[str], hosts: list[str], found: dict[str, list[str]]) -> None:
    distinct = set(links)
    if len(distinct) >= 6:
        found["very_many_links"] = [f"{len(distinct)} links"]
    elif len(distinct) >= 3:
        found["many_links"] = [f"{len(distinct)} links"]
    for name, hits in (
        ("url_shortener", [h for h in hosts if h in _SHORTENERS]),
        ("ip_address_link", [h for h in hosts if _IP_HOST.match(h)]),
        ("odd_link_domain", [h for h in hosts if h.rsplit(".", 1)[-1] in _ODD_TLDS]),
    ):
        if hits:
            found[name] = hits[:1]
    if len(links) > len(distinct):
        found["repeated_link"] = [next(link for link in distinct if links.count(link) > 1)]


def _token_signals(tokens: list[str], found: dict[str, list[str]]) -> None:
    """Obfuscated spam words and shouting, from whitespace-separated tokens."""
    for token in tokens:
        if len(token) >= 4 and not token.isalpha():
            core = token.strip(_TOKEN_EDGE)
            if core.isalpha() or core.isdigit():
                continue  # a plain word or number with punctuation around it
            if _obfuscated().fullmatch(core) and core.lower() not in _OBFUSCATION_TARGETS:
                found["obfuscated_word"] = [core]
                break
    shouted = [t for t in filter(str.isupper, tokens) if len(t) >= 3 and t.strip("X")]  # XXXX marks redactions
    caps = sum(map(len, shouted))
    characters = sum(map(len, tokens))
    if caps >= 30 and caps >= 0.3 * characters:
        found["shouting"] = [f"{caps} of {characters} characters in capitals"]


def _sender_signals(channel, sender_email, ses_spam_verdict, hosts, found: dict[str, list[str]]) -> None:
    if ses_spam_verdict and ses_spam_verdict.upper() == "FAIL":
        found["ses_spam_fail"] = ["SES spam verdict FAIL"]
    if not sender_email or "@" not in sender_email or _channel_value(channel) not in (None, "email"):
        return
    local, domain = sender_email.lower().rsplit("@", 1)
    if sum(ch.isdigit() for ch in local) >= 5:
        found["numbered_sender"] = [sender_email]
    own = _registrable(domain)
    if hosts and all(_registrable(host) != own for host in hosts):
        found["sender_link_mismatch"] = [f"{domain} links to {hosts[0]}"]


def _few_words(lower: str) -> bool:
    """At most two words besides the links ("check this"); a CJK character counts as a word."""
    rest = _PUNCTUATION.sub(" ", _LINK.sub(" ", lower)).split()
    words = sum(len(w) if not w.isascii() else 1 for w in rest if not w.isdigit())
    return words < 3


def _host(link: str) -> str:
    found = _HOST.match(link)
    host = found.group(1).lower() if found else ""
    return host[4:] if host.startswith("www.") else host


def _registrable(host: str) -> str:
    """The last two labels of a host name: good enough to tell whether two hosts belong together."""
    return ".".join(host.rsplit(".", 2)[-2:])


def _channel_value(channel) -> str | None:
    return None if channel is None else str(getattr(channel, "value", channel)).lower()
