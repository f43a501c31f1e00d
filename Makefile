# Two commands matter: `make dev` and `make test`. Everything else is a helper.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
SAM_VENV  ?= .venv-sam
# checkov pins boto3==1.35.49 (and old packaging/networkx): a venv of its own keeps the suite's boto3.
CHECKOV_VENV ?= .venv-checkov
PY        := $(VENV)/bin/python
# pyenv's 3.13 when the machine has it, else any python3 >= 3.11.
PYTHON313 := $(shell command -v pyenv >/dev/null 2>&1 && pyenv prefix 3.13.0 2>/dev/null | sed 's|$$|/bin/python3.13|')
BOOT_PY   := $(if $(wildcard $(PYTHON313)),$(PYTHON313),python3)
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= eu-west-1
# sam build needs python3.13 on PATH; pyenv exposes it through PYENV_VERSION.
export PYENV_VERSION := $(shell command -v pyenv >/dev/null 2>&1 && pyenv versions --bare | grep -E '^3\.(11|12|13)\.' | tr '\n' ':' | sed 's/:$$//')

.PHONY: help venv sam-venv checkov-venv browser node dev test lint check-template build deploy invoke bench clean
# Longer runs (soak, long fuzzing) only with LONG=1.
PYTEST_ARGS ?= $(if $(LONG),,-m "not slow")
# The date matrix (tests/date_matrix.py): after the whole suite at the real date, the date-sensitive suites
# again with the clock pinned (TEST_NOW): one instant by default, every one with LONG=1.
# DATES=name,name|ISO instant picks, DATES=none skips; PYTEST_ARGS goes to every run.
DATES ?= $(if $(LONG),all,default)

help:
	@echo "make dev    - start sandbox Altegio, moto, local API Gateway and the page (offline);"
	@echo "              NOW=2027-03-28T01:30:00+02:00 pins the sandbox's clock there (it moves on)"
	@echo "make test   - install everything and run ruff, pytest (browser included) and template checks,"
	@echo "              then the date-sensitive suites at a pinned instant (LONG=1: at every one; DATES=...)"
	@echo "make bench  - run the benchmark; make invoke FN=<LogicalId> EVENT=events/<f>.json"
	@echo "make deploy - deploy to AWS and publish the page (CONFIG_ENV=prod; README: Deploying to AWS)"

$(VENV)/.installed: pyproject.toml
	@$(BOOT_PY) -c 'import sys; assert sys.version_info >= (3, 11), "need python >= 3.11"'
	test -x $(PY) || $(BOOT_PY) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade 'pip>=25.1'
	$(PY) -m pip install -q --group dev
	touch $@

venv: $(VENV)/.installed

$(SAM_VENV)/.installed:
	test -x $(SAM_VENV)/bin/sam || $(BOOT_PY) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q aws-sam-cli
	touch $@

sam-venv: $(SAM_VENV)/.installed

$(CHECKOV_VENV)/.installed: pyproject.toml
	test -x $(CHECKOV_VENV)/bin/python || $(BOOT_PY) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --upgrade 'pip>=25.1'
	$(CHECKOV_VENV)/bin/python -m pip install -q --group checkov
	touch $@

checkov-venv: $(CHECKOV_VENV)/.installed

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Debian's chromium: run 'sudo apt-get install -y chromium'" >&2; exit 1; fi; }

# axe-core for the accessibility checks in the browser tests.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

node: $(if $(wildcard package-lock.json),node_modules/.installed)

dev: venv
	$(PY) -m devstack $(if $(UPSTREAM),--upstream $(UPSTREAM)) $(if $(NOW),--now $(NOW))

lint: venv
	$(VENV)/bin/ruff check .

# checkov: every finding fixed or skipped in template.yaml with a written reason (Metadata checkov skip);
# --skip-download keeps it offline.
check-template: venv sam-venv checkov-venv
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM_VENV)/bin/sam validate --lint
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --compact --quiet --skip-download

build: sam-venv
	$(SAM_VENV)/bin/sam build

test: venv sam-venv browser node
	$(VENV)/bin/ruff check .
	$(MAKE) --no-print-directory check-template
	$(MAKE) --no-print-directory build
	@status=0; \
	$(PY) -m pytest $(PYTEST_ARGS) || status=1; \
	$(PY) tests/date_matrix.py --dates '$(DATES)' -- $(PYTEST_ARGS) || status=1; \
	exit $$status

# Preflight, sam build, sam deploy, publish web/ (deploy/). Settings: deploy.env / deploy.<env>.env.
deploy: venv sam-venv
	SAM=$(SAM_VENV)/bin/sam $(PY) -m deploy --config-env $(or $(CONFIG_ENV),default)

invoke: venv
	$(PY) -m devstack.invoke $(FN) $(EVENT)

bench: venv
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf .aws-sam bench/results/*.png
