"""SLA measurement and routing: configuration, business calendars, clocks from history, agent routing, alerts.

Pure domain logic (no AWS). Modules:
    config      the SLA + routing file (TOML), validated at load
    durations   '4h', '1d', 'PT4H' as written in the file
    calendar    business time: elapsed between instants, deadlines
    terms       the resolved targets one complaint is measured against
    clocks      first-response / next-update / resolution clocks recomputed from the event history
    routing     category -> team, then the least-loaded available agent with the skill
    escalation  which alerts are due (L1/L2/L3, unassigned P1) and alert-storm digests
    keeper      the SLA in a complaint's life: deadlines stamped at each change, timers, the alert check; routing
"""
