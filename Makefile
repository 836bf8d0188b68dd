.PHONY: demo test bench
# Run the service on SQLite with demo data from a real Tokyo ward.
demo:
	bash scripts/demo.sh
# Install everything and run the whole suite on SQLite and on a throw-away PostgreSQL.
test:
	bash scripts/test.sh
bench:
	.venv/bin/python -m matching.bench
