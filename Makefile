# Developer entry points. Each target is a thin wrapper over an npm script or buf, so the README,
# CI (.ci/run) and make all run the same commands.
.PHONY: install generate lint typecheck test check certs up down bench breaking deploy-check

install:
	npm ci

generate:
	npm run generate

lint:
	npx buf lint
	npx buf format --diff --exit-code
	npm run lint

typecheck:
	npm run typecheck

test:
	npm test

# Generated code is fresh, contracts lint and do not break main, types check, lint passes, tests pass.
check: generate
	git diff --exit-code -- gen
	$(MAKE) lint deploy-check breaking typecheck test

breaking:
	@if git rev-parse --verify -q origin/main >/dev/null; then \
	  npx buf breaking --against '.git#branch=origin/main'; \
	elif git rev-parse --verify -q HEAD~1 >/dev/null; then \
	  npx buf breaking --against '.git#ref=HEAD~1'; \
	else echo "buf breaking: no previous commit to compare against"; fi

certs:
	npm run certs

# Runs the mesh in the foreground (Ctrl-C stops it); `make down` stops one started elsewhere.
up:
	npm start

down:
	-pkill -TERM -f 'services/supervisor/src/main.ts' || true

bench:
	npm run bench

# deploy/: promtool on the Prometheus configs, rules and rule tests; metric names against the code;
# compose, Kubernetes and Prometheus files against each other (scripts/check-deploy.sh).
deploy-check:
	bash scripts/check-deploy.sh
