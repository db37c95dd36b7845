# Two commands do all set-up: `make demo` builds the catalogue from corpus/, `make test` passes the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
DB     ?= outputs/catalogue.db

.PHONY: demo test install browser serve bench clean scorer

$(STAMP): pyproject.toml setup.py pipeline/_route.c pipeline/_fts5feed.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip          # old pip mishandles lxml[html_clean]
	$(BIN)/python -m pip install -q -e .
	touch $(STAMP)

# The tests also exercise the HanLP adapter, so they install that extra (torch CPU build).
$(TSTAMP): $(STAMP)
	@echo "make test: installing jingyan[test,hanlp] into $(VENV): pytest, Playwright, and HanLP with torch 2.13.0, because the tests exercise the HanLP adapter"
	$(BIN)/python -m pip install -q -e ".[test,hanlp]"
	touch $(TSTAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/jingyan run corpus/ --db $(DB)
	@echo
	@echo "Browse the catalogue:  $(BIN)/jingyan serve --db $(DB)"
	@echo "Score it against gold: $(BIN)/jingyan eval ../shared/gold --db $(DB)"

# Debian's chromium and CJK fonts for the headless-browser tests of the Datasette pages: installed
# with apt-get only when missing and when running as root (it says so first); elsewhere the browser
# tests are skipped, and under CI=true they fail.
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q . ; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make test: installing chromium and fonts-noto-cjk with apt-get (as root) for the headless-browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped (they fail under CI=true)"; \
	  else echo "warning: no chromium and not root: install chromium and fonts-noto-cjk yourself; browser tests will be skipped (they fail under CI=true)"; fi; }

test: $(TSTAMP) browser
	$(BIN)/python -m pytest

# The confidence scorer, retrained from ../shared gold and annotations/ (same bytes every time).
scorer: $(STAMP)
	$(BIN)/jingyan train

serve: $(STAMP)
	$(BIN)/jingyan serve --db $(DB)

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) outputs/*.db outputs/*.db-* .pytest_cache
