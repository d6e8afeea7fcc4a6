package main

import (
	"context"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/pkg/browser"

	"github.com/ssowizard/ssowizard/assets"
	"github.com/ssowizard/ssowizard/graph"
	"github.com/ssowizard/ssowizard/harness"
	"github.com/ssowizard/ssowizard/inspect"
	"github.com/ssowizard/ssowizard/wizard"
	"github.com/ssowizard/ssowizard/wizard/store"
	"github.com/ssowizard/ssowizard/wizard/ui"
)

// appID identifies the app to the desktop (preferences, storage); FyneApp.toml agrees.
const appID = "io.github.ssowizard"

// Hidden switches for the Makefile: SSOWIZARD_STARTUP_PROBE=1 prints the time from
// process start to the first frame and quits (make startup); SSOWIZARD_SCREENSHOTS=DIR
// walks the main screens, writes them to DIR as PNGs and quits (make screenshots).
const (
	envStartupProbe = "SSOWIZARD_STARTUP_PROBE"
	envScreenshots  = "SSOWIZARD_SCREENSHOTS"
)

// mainStarted is when the main package was initialised: the fallback start of the
// process where /proc does not say.
var mainStarted = time.Now()

// guiFlag reports whether arg is a flag of the window rather than a command.
func guiFlag(arg string) bool {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return strings.HasPrefix(arg, "-") && name == "db"
}

// runGUI opens the window and blocks until it is closed.
func runGUI(e *env, args []string) int {
	fs := flag.NewFlagSet("ssowizard", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {}
	db := fs.String("db", "", "")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintln(e.stderr, "ssowizard: the window takes only --db FILE; run 'ssowizard help' for the commands.")
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "ssowizard: unexpected argument %q; the window takes only --db FILE, run 'ssowizard help' for the commands.\n", fs.Arg(0))
		return exitUsage
	}
	if runtime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		fmt.Fprintln(e.stderr, "ssowizard: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); run it from a desktop session, or use a command such as 'ssowizard inspect FILE' (see 'ssowizard help').")
		return exitUsage
	}
	fetch, err := newFetcher(nil)
	if err != nil {
		fmt.Fprintf(e.stderr, "ssowizard: %v.\n", err)
		return exitUsage
	}
	example := &exampleSigner{now: time.Now}
	path := dbPath(*db)
	h := &guiHarness{}
	if path != "" {
		h.stateDir = harnessStateDir(path)
	}
	eng := &guiEngine{path: path}
	a := app.NewWithID(appID)
	a.SetIcon(assets.Icon)
	m := ui.NewMain(ui.Deps{
		App:            a,
		Inspect:        inspect.Inspect,
		Fetch:          h.fetch(fetch),
		Now:            time.Now,
		Example:        example.example,
		OpenEngine:     eng.open,
		DemoOnFirstRun: true,
		Target:         h.target,
		OpenURL:        browser.OpenURL,
		Harness:        h,
	})

	code := exitOK
	switch {
	case os.Getenv(envStartupProbe) != "":
		a.Lifecycle().SetOnStarted(func() {
			go func() {
				// The window was shown and painted before the loop started; this runs
				// once the loop turns.
				fyne.DoAndWait(func() {})
				fmt.Fprintf(e.stdout, "first frame after %d ms\n", sinceProcessStart().Milliseconds())
				// Exit at once: a probe has nothing to keep, and quitting while the
				// pointer first enters the window can trip Fyne 2.7's cursor handling.
				os.Exit(exitOK)
			}()
		})
	case os.Getenv(envScreenshots) != "":
		dir := os.Getenv(envScreenshots)
		a.Lifecycle().SetOnStarted(func() {
			go func() {
				files, err := m.Screenshots(context.Background(), dir, grabWindow)
				for _, f := range files {
					fmt.Fprintln(e.stdout, f)
				}
				if err != nil {
					fmt.Fprintf(e.stderr, "ssowizard: %v.\n", err)
					code = exitWrong
				}
				fyne.Do(a.Quit)
			}()
		})
	}
	m.Window.ShowAndRun()

	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	h.Stop(ctx)
	eng.close()
	return code
}

// sinceProcessStart is how long the process has run: from the kernel's start time
// where /proc has it (10 ms ticks), else from the main package's initialisation.
func sinceProcessStart() time.Duration {
	stat, err1 := os.ReadFile("/proc/self/stat")
	up, err2 := os.ReadFile("/proc/uptime")
	if err1 == nil && err2 == nil {
		// Fields after the command name (which may hold spaces) start at field 3;
		// starttime is field 22, in clock ticks (USER_HZ, 100 on Linux) since boot.
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 {
			f := strings.Fields(string(stat)[i+1:])
			upf := strings.Fields(string(up))
			if len(f) > 19 && len(upf) > 0 {
				ticks, e1 := strconv.ParseFloat(f[19], 64)
				uptime, e2 := strconv.ParseFloat(upf[0], 64)
				if e1 == nil && e2 == nil && uptime >= ticks/100 {
					return time.Duration((uptime - ticks/100) * float64(time.Second))
				}
			}
		}
	}
	return time.Since(mainStarted)
}

// guiEngine opens the wizard's database and keyring on first need, off the UI goroutine.
type guiEngine struct {
	path string // dbPath's answer; empty when it knows none
	mu   sync.Mutex
	db   *store.DB
}

func (g *guiEngine) open(ctx context.Context) (*wizard.Engine, error) {
	if g.path == "" {
		return nil, errNoDB
	}
	db, err := store.Open(ctx, g.path)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.db = db
	g.mu.Unlock()
	return &wizard.Engine{DB: db, Secrets: newKeeper(), Now: time.Now}, nil
}

func (g *guiEngine) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.db != nil {
		g.db.Close()
	}
}

// guiHarness runs the embedded local Entra for the window: started on first need (the
// Harness tab, or a setup on the local demo tenant), keeping its keys, its tenant and
// its address beside the database (as ssowizard setup does), so setups made on it can
// be resumed after a restart, from the window or the command line.
type guiHarness struct {
	stateDir string
	// startMu serialises Start and Stop, which may take seconds (the first start makes
	// keys); mu guards srv alone, so Server never waits for them on the UI goroutine.
	startMu sync.Mutex
	mu      sync.Mutex
	srv     *harness.Server
}

var _ ui.HarnessControl = (*guiHarness)(nil)

// Start starts the harness, or returns the one running.
func (h *guiHarness) Start(ctx context.Context) (*harness.Server, error) {
	h.startMu.Lock()
	defer h.startMu.Unlock()
	if srv := h.Server(); srv != nil {
		return srv, nil
	}
	if h.stateDir == "" {
		return nil, errNoDB
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The server outlives ctx, which only bounds this call.
	srv, err := startKeptAddr(context.Background(), harness.Config{StateDir: h.stateDir, TenantState: filepath.Join(h.stateDir, "tenant.json"), SCIMReceiver: true})
	if err != nil {
		return nil, fmt.Errorf("%v; check that %s is a directory you can write", strings.TrimPrefix(err.Error(), "harness: "), h.stateDir)
	}
	h.mu.Lock()
	h.srv = srv
	h.mu.Unlock()
	return srv, nil
}

// Stop stops the harness, letting requests in flight finish until ctx ends.
func (h *guiHarness) Stop(ctx context.Context) error {
	h.startMu.Lock()
	defer h.startMu.Unlock()
	h.mu.Lock()
	srv := h.srv
	h.srv = nil
	h.mu.Unlock()
	if srv == nil {
		return nil
	}
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
		return err
	}
	return nil
}

// Server returns the running harness, or nil.
func (h *guiHarness) Server() *harness.Server {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv == nil {
		return nil
	}
	select {
	case <-h.srv.Done():
		return nil
	default:
		return h.srv
	}
}

// target is where a setup's steps act. On "harness", the local Entra (started if need
// be) with Graph signed in as its setup app and test logins completed by its seeded
// user; on "entra", the real login endpoints with the test login in the system browser,
// and in automatic mode Microsoft Graph signed in with a device code, which the window
// shows through signIn when a step first needs it.
func (h *guiHarness) target(ctx context.Context, name string, mode wizard.Mode, signIn func(ui.SignIn)) (*wizard.Target, error) {
	switch name {
	case "harness":
		srv, err := h.Start(ctx)
		if err != nil {
			return nil, fmt.Errorf("the local Entra did not start: %w", err)
		}
		return harnessTargetOn(srv, h.stateDir, nil)
	case "entra":
		prompt := func(dc graph.DeviceCode) error {
			signIn(ui.SignIn{Message: dc.Message, URL: dc.VerificationURL, Code: dc.UserCode})
			return nil
		}
		return entraTarget("", "", mode == wizard.Auto, prompt, nil) // Open nil: the system browser
	}
	return nil, fmt.Errorf("the target %q is unknown: use harness or entra", name)
}

// fetch is the window's fetcher of trust material: while the harness runs it also
// trusts the harness's CA, so the Inspector can fetch the local demo tenant's keys and
// metadata (the window has no CA field; the command line has --ca-cert).
func (h *guiHarness) fetch(base *fetcher) func(ctx context.Context, url string) ([]byte, error) {
	return func(ctx context.Context, url string) ([]byte, error) {
		if srv := h.Server(); srv != nil && srv.CACert != nil {
			f, err := newFetcher(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.CACert.Raw}))
			if err != nil {
				return nil, err
			}
			return f.Fetch(ctx, url)
		}
		return base.Fetch(ctx, url)
	}
}
