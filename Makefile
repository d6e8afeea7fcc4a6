# ssowizard — the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
BIN := bin/ssowizard
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Debian packages the build needs: cgo and the GL/X11 headers Fyne compiles against.
SYSTEM_PKGS := gcc pkg-config libgl1-mesa-dev xorg-dev
# Extra packages the interop tests need (Node.js runs samlify).
INTEROP_PKGS := nodejs npm
# The browser tests drive Debian's Chromium (never a browser a tool downloads) and give it
# the harness CA through an NSS database made with certutil.
BROWSER_PKGS := chromium libnss3-tools
# The window's start-up time and screenshots are taken on a virtual X display.
XVFB_PKGS := xvfb xauth
# The Windows build: Debian's mingw-w64 cross-compiler (Fyne needs cgo), and zip for the package;
# its smoke test runs the .exe under wine on Xvfb (README, "Windows").
WINDOWS_PKGS := gcc-mingw-w64-x86-64 zip
WINE_PKGS := wine64 libgl1-mesa-dri xvfb xauth
WINDOWS_CC := x86_64-w64-mingw32-gcc
# What fyne package sets for a Windows release build (fyne tools v1.7.4, build.go), repeated for
# the console build so both link the same compiled packages from the cache.
WINDOWS_BUILD_ENV := GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=$(WINDOWS_CC) CGO_CFLAGS="-O3 -pipe" CGO_LDFLAGS=
WINDOWS_BUILD_FLAGS := -trimpath -tags release,migrated_fynedo
# The packager, run with go run so nothing is installed; it reads cmd/ssowizard/FyneApp.toml.
FYNE_TOOL := fyne.io/tools/cmd/fyne@v1.7.4
# Xvfb's screen: larger than the window's first size (1280x860).
XVFB_RUN := xvfb-run -a -s "-screen 0 1400x1000x24"
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
FUZZTIME ?= 60s

.PHONY: run build release test fmt-check vet gotest interop bench fuzz startup screenshots package windows windows-smoke system-deps interop-deps browser-deps xvfb-deps windows-deps wine-deps clean

## run: install missing system packages, build, and open the app
run: system-deps build
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		echo "make run: no display (neither DISPLAY nor WAYLAND_DISPLAY is set); run it from a desktop session, or try 'bin/ssowizard inspect FILE'" >&2; exit 2; fi
	./$(BIN)

## build: the app binary in bin/
build: system-deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/ssowizard

## release: a stripped binary, as shipped
release: system-deps
	$(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o $(BIN) ./cmd/ssowizard
	@ls -l $(BIN)

## test: everything the project checks — format, vet, race-enabled tests (a real browser among them), interop,
## and the Windows build run under wine
test: system-deps browser-deps fmt-check vet gotest interop windows-smoke

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './interop/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change these files (run gofmt -w):"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

gotest:
	$(GO) test -race -count=1 -timeout 30m ./...

## interop: independent npm implementations against ours — samlify signs a response the
## inspector verifies; openid-client (RP) and samlify (SP) sign in to `ssowizard harness`;
## the embedded SP signs in to samlify (IdP) and oauth2-mock-server (OpenID provider);
## Entra's SCIM client provisions into scimmy, which `ssowizard scim` then checks
interop: interop-deps
	@dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	cd interop && npm ci --no-audit --no-fund --loglevel=error && cd .. && \
	node interop/samlify-idp.js "$$dir/interop-samlify-live" && \
	SSOWIZARD_INTEROP_DIR="$$dir" $(GO) test -count=1 -v -run 'TestCases|TestInterop|TestDifferentialInterop' ./inspect && \
	SSOWIZARD_INTEROP=1 $(GO) test -count=1 -v -run '^TestInterop(Node|Login|SCIM)$$' ./cmd/ssowizard && \
	SSOWIZARD_INTEROP=1 $(GO) test -count=1 -v -run '^TestInterop' ./sp

## bench: the figures the README reports (about 2 minutes; run it on a quiet machine)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 ./inspect
	$(GO) test -run '^$$' -bench . -benchmem -cpu 2 ./harness/idp ./sp
	$(GO) test -count=1 -v -run '^TestConcurrentLogins$$' ./harness/idp -load.workers 200 -load.duration 30s
	$(GO) test -count=1 -v -run '^TestHarnessLoginCPU$$' ./harness/idp -cpuload.logins 4000 -cpuload.clients 4

## fuzz: each fuzz target for FUZZTIME
fuzz:
	@for t in $$($(GO) test -list '^Fuzz' ./inspect | grep '^Fuzz'); do \
		echo "== $$t"; $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./inspect || exit 1; done

## startup: time from process start to the window's first frame, 5 first runs under Xvfb, and their median (target: under 1 s)
startup: build xvfb-deps
	@cfg=$$(mktemp -d); trap 'rm -rf "$$cfg"' EXIT; \
	for i in 1 2 3 4 5; do \
		XDG_CONFIG_HOME="$$cfg/$$i" SSOWIZARD_STARTUP_PROBE=1 $(XVFB_RUN) ./$(BIN) </dev/null | sed -n 's/^first frame after \([0-9]*\) ms$$/\1/p'; \
	done | sort -n | awk '{ms[NR] = $$1; printf "run: %d ms\n", $$1} \
		END {if (NR != 5) {print "make startup: " NR " of 5 runs reported a first frame" > "/dev/stderr"; exit 1} \
		printf "median of 5: %d ms\n", ms[3]}'

## screenshots: the main screens as PNGs in docs/screenshots (a first run, under Xvfb)
screenshots: build xvfb-deps
	@cfg=$$(mktemp -d); trap 'rm -rf "$$cfg"' EXIT; mkdir -p docs/screenshots; \
	XDG_CONFIG_HOME="$$cfg" SSOWIZARD_SCREENSHOTS=docs/screenshots $(XVFB_RUN) ./$(BIN) </dev/null && ls -l docs/screenshots

## package: the Linux desktop package (binary, icon, .desktop file) as dist/ssowizard.tar.xz
## (fyne package counts Build up in FyneApp.toml each run; the file is put back as it was)
package: system-deps
	@mkdir -p dist; toml=$$(mktemp); cp cmd/ssowizard/FyneApp.toml "$$toml"; \
	trap 'cp "$$toml" "$(CURDIR)/cmd/ssowizard/FyneApp.toml"; rm -f "$$toml"' EXIT; \
	echo "fyne package -os linux --release (in cmd/ssowizard)"; \
	cd cmd/ssowizard && GOFLAGS="-ldflags=-X=main.version=$(VERSION)" $(GO) run $(FYNE_TOOL) package -os linux --release -icon ../../assets/icon.png && \
	mv ssowizard.tar.xz ../../dist/
	@ls -l dist/ssowizard.tar.xz

## windows: the Windows package in dist/, cross-compiled here: ssowizard.exe (the window; icon,
## manifest and version info as fyne package makes them), ssowizard.com (the same program linked
## for a console, which cmd.exe and PowerShell pick for `ssowizard COMMAND` and wait for), and
## ssowizard-windows-amd64.zip holding both. The fyne tool is built for this machine (CGO_ENABLED=0
## keeps the cross-compiler away from it) and passes CC and CGO_ENABLED=1 on to the Windows build.
windows: windows-deps
	@mkdir -p dist; toml=$$(mktemp); cp cmd/ssowizard/FyneApp.toml "$$toml"; \
	trap 'cp "$$toml" "$(CURDIR)/cmd/ssowizard/FyneApp.toml"; rm -f "$$toml" "$(CURDIR)/cmd/ssowizard/ssowizard.exe"' EXIT; \
	echo "fyne package -os windows --release (in cmd/ssowizard)"; \
	(cd cmd/ssowizard && CGO_ENABLED=0 CC=$(WINDOWS_CC) GOFLAGS="-ldflags=-X=main.version=$(VERSION)" \
		$(GO) run $(FYNE_TOOL) package -os windows --release -icon ../../assets/icon.png) && \
	mv cmd/ssowizard/ssowizard.exe dist/ssowizard.exe
	$(WINDOWS_BUILD_ENV) $(GO) build $(WINDOWS_BUILD_FLAGS) -ldflags "-s -w $(LDFLAGS)" -o dist/ssowizard.com ./cmd/ssowizard
	@rm -f dist/ssowizard-windows-amd64.zip && cd dist && zip -q -X ssowizard-windows-amd64.zip ssowizard.exe ssowizard.com
	@ls -l dist/ssowizard.exe dist/ssowizard.com dist/ssowizard-windows-amd64.zip

## windows-smoke: the Windows package under wine on Xvfb: version, inspect, the demo setup for
## OIDC and SAML to Enabled, and the window drawn (screenshot in dist/windows-window.png)
windows-smoke: windows wine-deps xvfb-deps
	$(XVFB_RUN) internal/winsmoke/smoke.sh dist dist/windows-window.png

system-deps:
	@if ! command -v dpkg >/dev/null; then echo "make: not a Debian/Ubuntu system; install gcc and the OpenGL/X11 development headers yourself"; exit 0; fi; \
	missing=$$(for p in $(SYSTEM_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make: installing system packages:" $$missing; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

interop-deps:
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
		echo "make: installing Node.js for the interop tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(INTEROP_PKGS); \
	fi

browser-deps:
	@if ! command -v dpkg >/dev/null; then echo "make: not a Debian/Ubuntu system; install Chromium at /usr/bin/chromium and NSS's certutil yourself"; exit 0; fi; \
	missing=$$(for p in $(BROWSER_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make: installing packages for the browser tests:" $$missing; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

xvfb-deps:
	@if ! command -v dpkg >/dev/null; then echo "make: not a Debian/Ubuntu system; install Xvfb (xvfb-run) and xauth yourself"; exit 0; fi; \
	missing=$$(for p in $(XVFB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make: installing packages for the virtual display:" $$missing; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

windows-deps:
	@if ! command -v dpkg >/dev/null; then echo "make: not a Debian/Ubuntu system; install the mingw-w64 cross-compiler (x86_64-w64-mingw32-gcc) and zip yourself"; exit 0; fi; \
	missing=$$(for p in $(WINDOWS_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make: installing packages for the Windows build:" $$missing; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

wine-deps:
	@if ! command -v dpkg >/dev/null; then echo "make: not a Debian/Ubuntu system; install wine (64-bit), Xvfb and xauth yourself"; exit 0; fi; \
	missing=$$(for p in $(WINE_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make: installing packages to run the Windows build:" $$missing; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

clean:
	rm -rf bin dist
