#!/usr/bin/env bash
# The Windows smoke test (make windows-smoke): the package `make windows` built, run under
# wine on a virtual X display. The CLI (ssowizard.com, what a shell runs) prints its
# version, inspects a fixture, and runs the demo setup on the local Entra for OIDC and SAML
# to Enabled; the window (ssowizard.exe, what a double-click runs) opens and draws, which
# a screenshot proves pixel by pixel.
#
# Usage: smoke.sh DIST_DIR SCREENSHOT.png   (run from the repository's root, under xvfb-run)
#
# Wine runs in a new prefix in a temporary directory, created without prompts (no Mono,
# no Gecko), and every wine command is bounded by `timeout`. Go's runtime needs
# bcryptprimitives.dll, which wine 8 lacks: a stand-in is built from bcryptprimitives.c
# into the prefix only, never into the package.
set -euo pipefail

dist=${1:?usage: smoke.sh DIST_DIR SCREENSHOT.png}
shot_png=${2:?usage: smoke.sh DIST_DIR SCREENSHOT.png}
here=$(cd "$(dirname "$0")" && pwd)
exe=$dist/ssowizard.exe
com=$dist/ssowizard.com
for f in "$exe" "$com"; do
	[ -f "$f" ] || { echo "windows-smoke: $f is missing; run make windows first" >&2; exit 2; }
done
[ -n "${DISPLAY:-}" ] || { echo "windows-smoke: no DISPLAY; run it under xvfb-run" >&2; exit 2; }

# Debian's wine64 package keeps its loader out of PATH (the wine package adds wrappers).
wine=$(command -v wine64 || command -v wine || echo /usr/lib/wine/wine64)
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver64)
[ -x "$wine" ] || { echo "windows-smoke: wine64 is not installed (make windows-deps)" >&2; exit 2; }

work=$(mktemp -d)
gui_pid=
oidc_session=
cleanup() {
	[ -n "$gui_pid" ] && kill "$gui_pid" 2>/dev/null
	WINEPREFIX=$work/prefix timeout 30 "$wineserver" -k 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

export WINEPREFIX=$work/prefix WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# The database, the harness state and the keyring live in the prefix's own user profile.
unset SSOWIZARD_DB SSOWIZARD_SECRETS

since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
step() { printf 'windows-smoke: %s\n' "$*"; }
fail() { printf 'windows-smoke: FAILED: %s\n' "$*" >&2; exit 1; }

step "creating a wine prefix"
t0=$EPOCHREALTIME
timeout 300 "$wine" wineboot --init >"$work/wineboot.log" 2>&1 || { cat "$work/wineboot.log" >&2; fail "wineboot --init did not finish"; }
timeout 120 "$wineserver" -w || fail "wineserver did not settle after wineboot"
sys32=$WINEPREFIX/drive_c/windows/system32
[ -d "$sys32" ] || fail "the prefix has no $sys32"
x86_64-w64-mingw32-gcc -shared -O2 -o "$sys32/bcryptprimitives.dll" "$here/bcryptprimitives.c" -ladvapi32
# One wineserver for the whole test, so the commands below do not each start and stop it.
"$wineserver" -p
printf 'windows-smoke: prefix ready in %.1f s\n' "$(since "$t0")"

# run NAME TIMEOUT ARGS...: the console build under wine; output in $work/NAME.out.
run() {
	local name=$1 limit=$2
	shift 2
	local rc=0
	timeout "$limit" "$wine" "$com" "$@" </dev/null >"$work/$name.out" 2>"$work/$name.err" || rc=$?
	# Wine's own start-up chatter goes to stderr; what ssowizard says is kept.
	if [ "$rc" -ne 0 ]; then
		cat "$work/$name.out" "$work/$name.err" >&2
		fail "ssowizard $* exited $rc"
	fi
	tr -d '\r' <"$work/$name.out"
}

step "version"
out=$(run version 120 version)
echo "  $out"
grep -q 'windows/amd64' <<<"$out" || fail "version does not say windows/amd64: $out"

step "inspect a signed SAML response (a Windows path)"
winpath() { timeout 60 "$wine" winepath -w "$1" 2>/dev/null | tr -d '\r'; }
fixture=$(winpath "$PWD/inspect/testdata/cases/assertion-signed/input")
cert=$(winpath "$PWD/inspect/testdata/keys/idp-signing.pem")
out=$(run inspect 120 inspect --json --cert "$cert" --now 2026-11-23T09:00:00Z \
	--sp-entity-id https://vendor.example/saml --acs https://vendor.example/saml/acs \
	--tenant 4f6c2d1e-8a3b-4c5d-9e7f-0a1b2c3d4e5f --request-id _8e9f3c2a-5b1d-4e6f-a7b8-c9d0e1f2a3b4 "$fixture")
grep -Eq '"verdict": *"ok"' <<<"$out" || fail "inspect's verdict is not ok: $out"
grep -Eq '"trusted_by": *"certificate"' <<<"$out" || fail "inspect did not verify the signature with the given certificate: $out"
echo "  verdict ok, signature verified with the given certificate ($fixture)"

for proto in oidc saml; do
	step "setup --ticket demo --protocol $proto --target harness --auto"
	out=$(run "setup-$proto" 600 setup --ticket demo --protocol "$proto" --target harness --auto)
	tail -n 1 <<<"$out" | sed 's/^/  /'
	grep -q '^Enabled: ' <<<"$out" || fail "the $proto setup did not end Enabled"
	[ "$proto" = oidc ] && oidc_session=$(sed -n 's/^Enabled: .*(setup \([0-9a-f]*\)).*/\1/p' <<<"$out")
done
[ -n "$oidc_session" ] || fail "the OIDC setup's ID is not in its last line"

# go-keyring writes Windows Credential Manager generic credentials; wine keeps them here.
creds=$(timeout 60 "$wine" reg query 'HKCU\Software\Wine\Credential Manager' 2>/dev/null | tr -d '\r')
grep -q "Generic: ssowizard:$oidc_session/client_secret" <<<"$creds" ||
	fail "the OIDC client secret is not in the Credential Manager: $creds"
step "the OIDC client secret is in the Credential Manager (ssowizard:$oidc_session/client_secret)"

step "export the OIDC connection and its reminders"
run export 120 export --session "$oidc_session" --connection "$(winpath "$work/connection.json")" --ics "$(winpath "$work/reminders.ics")" >/dev/null
grep -q '"client_id"' "$work/connection.json" || fail "the exported connection has no client_id: $(cat "$work/connection.json")"
! grep -q 'client_secret"' "$work/connection.json" || fail "the exported connection holds the secret without --with-secret"
[ "$(head -n 1 "$work/reminders.ics")" = $'BEGIN:VCALENDAR\r' ] ||
	fail "the reminders do not start with BEGIN:VCALENDAR and CRLF"
out=$(run status 120 status --json)
n=$(grep -Eo '"status": *"enabled"' <<<"$out" | wc -l)
[ "$n" -eq 2 ] || fail "status lists $n enabled setups, want 2: $out"
grep -q 'AppData' <<<"$out" || fail "the database is not in the user's AppData folder: $out"
step "status: 2 setups enabled, database in $(grep -Eo '"db": *"[^"]*"' <<<"$out")"

step "the window (ssowizard.exe) under Xvfb"
go build -o "$work/shot" ./internal/winsmoke/shot
# On a loaded machine wine's desktop process (explorer.exe, started with the first window)
# can miss wine's own start-up deadline, and the program then cannot create any window
# ("Failed to create helper window"). That is wine's failure, not the program's: it is
# reported and the start tried once more, with the desktop then running.
for attempt in 1 2; do
	t0=$EPOCHREALTIME
	WINEDEBUG=-all,err+winediag "$wine" "$exe" </dev/null >"$work/gui.out" 2>&1 &
	gui_pid=$!
	rc=0
	"$work/shot" -name ssowizard -pid "$gui_pid" -out "$shot_png" -timeout 240s || rc=$?
	[ "$rc" -eq 0 ] && break
	cat "$work/gui.out" >&2
	if [ "$rc" -eq 3 ] && [ "$attempt" -eq 1 ] && grep -q 'Failed to create helper window\|nodrv_CreateWindow' "$work/gui.out"; then
		step "wine could not create a window (its desktop was not ready); starting once more"
		gui_pid=
		continue
	fi
	fail "the window did not open and draw"
done
printf 'windows-smoke: window drawn %.1f s after start (under wine, on Xvfb: not a Windows figure)\n' "$(since "$t0")"
kill -0 "$gui_pid" 2>/dev/null || fail "ssowizard.exe exited after drawing its window"
step "passed"
