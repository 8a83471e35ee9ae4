"""Daily complaint volume: forecasts with weekly seasonality, spike detection, the terms behind a spike, backtests.

Models (pure Python, a series is a list of daily counts, oldest first, no gaps):
    seasonal_naive   tomorrow = the same weekday last week
    holt_winters     additive level + day-of-week profile, exponentially weighted (ETS(A,N,A), period 7, no trend);
                     smoothing weights picked from a small grid by in-sample one-step squared error, fitted on
                     the last FIT_WINDOW days. Prediction interval from the in-sample one-step residuals:
                     +- z * sigma * sqrt(1 + (h - 1) * alpha^2), lower bound clipped at 0.
forecast() uses Holt-Winters from two weeks of history, seasonal naive from one week, else the mean.

Spikes: with at least 14 days of history, today's count is a spike when it is above the forecast's upper bound
(sigma floored at the Poisson sd sqrt(expected), so a quiet category does not alarm on 3 instead of 1); with less,
when its robust z-score (x - median) / (1.4826 MAD) reaches the threshold. Either way it needs min_count.

top_terms() ranks the words (and CJK character bigrams) of today's texts by the log odds ratio of appearing in a
text today versus in the baseline, as a z-score (Haldane-Anscombe 0.5 correction).
backtest() is rolling-origin: MASE = out-of-sample MAE of the model / MAE of seasonal naive on the same days.
"""
from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping, Sequence

PERIOD = 7
FIT_WINDOW = 364  # days of history the Holt-Winters fit looks at (52 weeks)
ALPHAS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
GAMMAS = (0.05, 0.1, 0.2, 0.3, 0.5)


@dataclass(frozen=True)
class Forecast:
    model: str  # holt_winters | seasonal_naive | mean
    values: tuple[float, ...]  # for the next `horizon` days
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    sigma: float  # one-step in-sample residual standard deviation
    level: float  # interval coverage, e.g. 0.95
    alpha: float | None = None
    gamma: float | None = None


def daily_counts(days: Iterable[date], start: date | None = None, end: date | None = None) -> tuple[date, list[int]]:
    """(first day, counts per day) from one date per complaint; days without complaints count 0."""
    tally = Counter(days)
    if not tally and (start is None or end is None):
        raise ValueError("no dates, and no start and end to span")
    first, last = start or min(tally), end or max(tally)
    return first, [tally.get(first + timedelta(days=i), 0) for i in range((last - first).days + 1)]


# -- models -----------------------------------------------------------------------------------------------------
def seasonal_naive(history: Sequence[float], horizon: int, period: int = PERIOD) -> list[float]:
    if len(history) < period:
        raise ValueError(f"seasonal naive needs at least {period} days")
    return [float(history[len(history) - period + (h % period)]) for h in range(horizon)]


@dataclass(frozen=True)
class _Fit:
    alpha: float
    gamma: float
    level: float
    season: tuple[float, ...]  # indexed by day number (from the fit's first day) modulo the period
    residuals: tuple[float, ...]  # one-step errors after the first season
    days: int


def _fit(series: Sequence[float], alpha: float, gamma: float, period: int) -> _Fit:
    seasons = min(len(series) // period, 2)
    start = series[: seasons * period]
    level = statistics.fmean(start)
    season = [statistics.fmean(start[j::period]) - level for j in range(period)]
    residuals = []
    for t, observed in enumerate(series):
        j = t % period
        error = observed - (level + season[j])
        if t >= period:
            residuals.append(error)
        level += alpha * error
        season[j] += gamma * (1 - alpha) * error
    return _Fit(alpha, gamma, level, tuple(season), tuple(residuals), len(series))


def holt_winters(history: Sequence[float], horizon: int, level: float = 0.95, period: int = PERIOD,
                 alpha: float | None = None, gamma: float | None = None) -> Forecast:
    """Additive level + seasonal profile; alpha/gamma picked from the grid unless given."""
    series = [float(x) for x in history[-FIT_WINDOW:]]
    if len(series) < 2 * period:
        raise ValueError(f"Holt-Winters needs at least {2 * period} days")
    fits = [_fit(series, a, g, period) for a in ((alpha,) if alpha is not None else ALPHAS)
            for g in ((gamma,) if gamma is not None else GAMMAS)]
    best = min(fits, key=lambda f: (sum(e * e for e in f.residuals), f.alpha, f.gamma))
    values = [max(best.level + best.season[(best.days + h) % period], 0.0) for h in range(horizon)]
    sigma = _rms(best.residuals)
    widths = [sigma * math.sqrt(1 + h * best.alpha ** 2) for h in range(horizon)]
    return _with_interval("holt_winters", values, widths, sigma, level, best.alpha, best.gamma)


def forecast(history: Sequence[float], horizon: int = 7, level: float = 0.95, period: int = PERIOD) -> Forecast:
    """The best model the history allows (see the module notes)."""
    if not history:
        raise ValueError("no history to forecast from")
    if len(history) >= 2 * period:
        return holt_winters(history, horizon, level, period)
    if len(history) >= period:
        values = seasonal_naive(history, horizon, period)
        residuals = [history[t] - history[t - period] for t in range(period, len(history))]
        sigma = _rms(residuals) if residuals else statistics.pstdev(history)
        return _with_interval("seasonal_naive", values, [sigma] * horizon, sigma, level)
    mean = statistics.fmean(history)
    sigma = statistics.pstdev(history)
    return _with_interval("mean", [mean] * horizon, [sigma] * horizon, sigma, level)


def forecast_by_category(histories: Mapping[str, Sequence[float]], horizon: int = 7,
                         level: float = 0.95) -> dict[str, Forecast]:
    return {category: forecast(history, horizon, level) for category, history in histories.items()}


def _with_interval(model: str, values: Sequence[float], widths: Sequence[float], sigma: float, level: float,
                   alpha: float | None = None, gamma: float | None = None) -> Forecast:
    z = _z(level)
    return Forecast(
        model=model, values=tuple(values), sigma=sigma, level=level, alpha=alpha, gamma=gamma,
        lower=tuple(max(v - z * w, 0.0) for v, w in zip(values, widths)),
        upper=tuple(v + z * w for v, w in zip(values, widths)),
    )


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError("level is a coverage between 0 and 1")
    return statistics.NormalDist().inv_cdf((1 + level) / 2)


def _rms(values: Sequence[float]) -> float:
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0


# -- spikes -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpikeConfig:
    level: float = 0.99  # forecast interval coverage (long history)
    robust_z: float = 3.5  # modified z-score threshold (Iglewicz & Hoaglin), short history
    min_count: int = 5  # fewer complaints than this is never a spike
    min_history: int = 14  # days; below this the robust z-score is used
    min_robust_history: int = 3  # days; below this nothing is judged


@dataclass(frozen=True)
class SpikeCheck:
    category: str
    day: date | None
    observed: int
    expected: float
    lower: float
    upper: float
    z: float  # (observed - expected) / sigma (forecast) or the robust z-score
    method: str  # forecast_interval | robust_z | too_little_history
    history_days: int
    is_spike: bool


def detect_spike(category: str, history: Sequence[float], observed: int, day: date | None = None,
                 config: SpikeConfig = SpikeConfig()) -> SpikeCheck:
    """Is today's count (`observed`) a spike against the days before it (`history`, oldest first)?"""
    n = len(history)
    if n >= config.min_history:
        predicted = forecast(history, 1, config.level)
        expected = predicted.values[0]
        sigma = max(predicted.sigma, math.sqrt(max(expected, 1.0)))
        width = _z(config.level) * sigma
        lower, upper = max(expected - width, 0.0), expected + width
        z = (observed - expected) / sigma
        spike = observed > upper and observed >= config.min_count
        return SpikeCheck(category, day, observed, expected, lower, upper, z, "forecast_interval", n, spike)
    if n >= config.min_robust_history:
        median = statistics.median(history)
        scale = _robust_scale(history, median)
        z = (observed - median) / scale
        width = config.robust_z * scale
        spike = z >= config.robust_z and observed >= config.min_count
        return SpikeCheck(category, day, observed, median, max(median - width, 0.0), median + width, z, "robust_z",
                          n, spike)
    expected = statistics.fmean(history) if history else 0.0
    return SpikeCheck(category, day, observed, expected, 0.0, math.inf, 0.0, "too_little_history", n, False)


def _robust_scale(values: Sequence[float], median: float) -> float:
    """1.4826 x MAD; when MAD is 0, 1.2533 x mean absolute deviation; when that is 0 too, the Poisson sd."""
    deviations = [abs(v - median) for v in values]
    mad = statistics.median(deviations)
    if mad > 0:
        return 1.4826 * mad
    mean_deviation = statistics.fmean(deviations)
    return 1.2533 * mean_deviation if mean_deviation > 0 else math.sqrt(max(median, 1.0))


# -- terms behind a spike ---------------------------------------------------------------------------------------
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can could did do does doing down during each even ever every few for from further get got had has have
having he her here hers him his how i if in into is it its itself just me more most my myself no nor not now of off
on once only or other our ours out over own please same she should so some still such than that the their theirs
them then there these they this those through to too under until up us very was we were what when where which while
who whom why will with would you your yours yourself hi hello dear thanks thank regards sir madam re fw fwd
""".split())
CJK_STOPCHARS = frozenset("的了是我你他她它们这那在有和就也都不吗吧呢啊很把被给")
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKENS = re.compile(rf"([{_CJK}]+)|([^\W\d_{_CJK}]+(?:['’][^\W\d_{_CJK}]+)*)")
_REDACTED = re.compile(r"^x{2,}$")  # CFPB redactions: XX, XXXX


@dataclass(frozen=True)
class TermLift:
    term: str
    z: float  # log odds ratio / its standard error
    log_odds: float
    today: int  # texts of today containing the term
    baseline: int  # baseline texts containing it


def tokens(text: str) -> set[str]:
    """The distinct terms of a text: lower-cased words (stopwords, redactions, one-letter words dropped) and
    bigrams of CJK characters (a lone CJK character is kept as it is)."""
    found = set()
    for cjk, word in _TOKENS.findall(text.lower()):
        if cjk:
            grams = [cjk] if len(cjk) == 1 else [cjk[i:i + 2] for i in range(len(cjk) - 1)]
            found.update(g for g in grams if not set(g) <= CJK_STOPCHARS)
        elif len(word) > 1 and word not in STOPWORDS and not _REDACTED.match(word):
            found.add(word)
    return found


def top_terms(texts_today: Sequence[str], texts_baseline: Sequence[str], k: int = 10,
              min_texts: int = 2) -> list[TermLift]:
    """Terms over-represented today, by z-score of the log odds ratio (texts containing the term, today vs
    baseline), best first; a term must appear in at least `min_texts` of today's texts."""
    today = Counter(term for text in texts_today for term in tokens(text))
    baseline = Counter(term for text in texts_baseline for term in tokens(text))
    n_today, n_base = len(texts_today), len(texts_baseline)
    lifts = []
    for term, a in today.items():
        if a < min_texts:
            continue
        b = baseline.get(term, 0)
        cells = (a + 0.5, n_today - a + 0.5, b + 0.5, n_base - b + 0.5)
        log_odds = math.log(cells[0] / cells[1]) - math.log(cells[2] / cells[3])
        z = log_odds / math.sqrt(sum(1 / c for c in cells))
        if z > 0:
            lifts.append(TermLift(term, z, log_odds, a, b))
    lifts.sort(key=lambda t: (-t.z, t.term))
    return lifts[:k]


# -- backtest ---------------------------------------------------------------------------------------------------
def backtest(series: Sequence[float], horizon: int = 7, folds: int = 8, period: int = PERIOD) -> dict:
    """Rolling-origin evaluation over the last `folds` x `horizon` days: each fold trains on everything before its
    origin and forecasts `horizon` days. Returns mase (model MAE / seasonal-naive MAE on the same days; None when
    seasonal naive made no error), mae, naive_mae, model (of the last fold), n (days forecast) and folds."""
    min_train = 2 * period
    folds = min(folds, (len(series) - min_train) // horizon)
    if folds < 1:
        raise ValueError(f"a backtest needs at least {min_train + horizon} days")
    model_errors, naive_errors, model = [], [], ""
    for fold in range(folds):
        origin = len(series) - (folds - fold) * horizon
        train, actual = series[:origin], series[origin:origin + horizon]
        predicted = forecast(train, horizon)
        model = predicted.model
        model_errors += [abs(p - a) for p, a in zip(predicted.values, actual)]
        naive_errors += [abs(p - a) for p, a in zip(seasonal_naive(train, horizon, period), actual)]
    mae, naive_mae = statistics.fmean(model_errors), statistics.fmean(naive_errors)
    return {"mase": mae / naive_mae if naive_mae > 0 else None, "mae": mae, "naive_mae": naive_mae,
            "model": model, "n": len(model_errors), "folds": folds, "horizon": horizon}
