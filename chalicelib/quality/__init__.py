"""Service quality evaluation (pure Python): KPI rollups, quality score, Pareto, forecasts, early warnings, PDCA
improvement actions and CSAT surveys.

    histogram      fixed log-spaced duration buckets: additive counts, approximate percentiles
    rollups        event -> constant number of counter increments; buckets -> KpiReport
    score          weighted 0-100 quality score that shows each indicator's contribution
    pareto         Pareto of categories and root causes; fishbone taxonomy; 5-why validation
    forecast       daily volume forecast (seasonal naive, Holt-Winters period 7), spikes, top terms, backtest
    early_warning  decision functions that return domain.ports.Alert values
    pdca           Plan-Do-Check-Act improvement actions and their before/after check
    survey         signed single-use CSAT survey tokens and answer validation
    backtest       CLI: MASE of the forecast on a CSV of complaints
"""
