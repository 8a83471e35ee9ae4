# Two commands matter: `make run` and `make test`. Both set up .venv on a fresh machine first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CATALOGS := $(patsubst %.po,%.mo,$(wildcard chalicelib/web/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test messages demo replay redrive backfill retrain rollback config-export config-import package token bench clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 requires pip<26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(PY) -m babel.messages.frontend compile --statistics -i $< -o $@

messages: $(STAMP)     ## extract the console's texts into the catalogs; fails while a text has no translation
	$(PY) -m infra.catalog

run: $(STAMP) $(CATALOGS)         ## start moto, create resources, chalice local on :8000 and the event runner
	$(PY) -m infra.local_stack

demo: $(STAMP)         ## post demo complaints to the running local stack
	$(PY) -m infra.demo

replay: $(STAMP)       ## replay weeks of demo traffic into the running local stack, then check the KPIs
	$(PY) -m infra.replay --weeks $(or $(WEEKS),6)

redrive: $(STAMP)      ## move a dead-letter queue of the running stack back: make redrive QUEUE=intake|sla-timers|inbound
	$(PY) -m infra.redrive --queue $(or $(QUEUE),intake)

backfill: $(STAMP)     ## after an upgrade: write the inbox's index keys on open complaints saved by an older release
	$(PY) -m infra.backfill

config-export: $(STAMP) ## write the running stack's SLA and routing configuration: make config-export [FILE=x.toml]
	$(PY) -m infra.configuration export $(FILE)

config-import: $(STAMP) ## preview a TOML configuration against the running stack; APPLY=1 saves it
	$(PY) -m infra.configuration import $(FILE) $(if $(APPLY),--apply)

retrain: $(STAMP)      ## retrain the category model on base data + staff corrections in the running local stack
	$(PY) -m functions.retrain --local-stack .local retrain $(if $(FORCE),--force)

rollback: $(STAMP)     ## serve the previously published category model again (running local stack)
	$(PY) -m functions.retrain --local-stack .local rollback

test: $(STAMP) $(CATALOGS)        ## unit, integration, infrastructure and end-to-end tests, then benchmarks
	$(PY) -m pytest -n 2 --dist loadgroup tests --ignore=tests/performance
	$(PY) -m pytest -s tests/performance

package: $(STAMP) $(CATALOGS)     ## build/template.json + build/deployment.zip, checked (cfn-lint, wheels, size)
	$(PY) -m infra.package

token: $(STAMP)        ## mint a local staff token: make token ROLE=manager
	$(PY) -m infra.mint_token --role $(or $(ROLE),agent)

bench: $(STAMP)
	$(PY) -m pytest -s tests/performance

clean:
	rm -rf build .local
