package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// liveKernel is the ifprobe kernel started the way JupyterLab starts one: through
// jupyter_client's KernelManager in the checkout's venv, with the installed
// kernelspec. testdata/live.py is the bridge; each call is one JSON line each way.
type liveKernel struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer // the bridge's and the kernel's log, shown when a call fails
}

// startLiveKernel starts the kernel named opts.Kernel (default "ifprobe") and shuts
// it down when the test ends.
func startLiveKernel(t *testing.T, opts Options) *liveKernel {
	t.Helper()
	o, err := opts.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	k := &liveKernel{}
	k.cmd = exec.CommandContext(ctx, o.Python, "testdata/live.py", o.Kernel, "--cwd", t.TempDir())
	k.cmd.Env = append(os.Environ(), "PYDEVD_DISABLE_FILE_VALIDATION=1")
	k.cmd.Env = append(k.cmd.Env, o.Env...)
	k.cmd.Stderr = &k.stderr
	// Closing stdin asks the bridge to shut the kernel down; it is killed if it hangs.
	k.cmd.Cancel = func() error { return k.cmd.Process.Signal(os.Interrupt) }
	k.cmd.WaitDelay = 20 * time.Second
	if k.in, err = k.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := k.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	k.out = bufio.NewReaderSize(stdout, 1<<20)
	if err := k.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.in.Close()
		done := make(chan struct{})
		go func() { k.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cancel()
			<-done
		}
		cancel()
	})
	return k
}

// call sends req and decodes the reply into resp.
func (k *liveKernel) call(t *testing.T, req map[string]any, resp any) {
	t.Helper()
	b, _ := json.Marshal(req)
	if _, err := k.in.Write(append(b, '\n')); err != nil {
		t.Fatalf("%s: write to the bridge: %v\n%s", req["op"], err, tail(k.stderr.String(), 4000))
	}
	line, err := k.out.ReadBytes('\n')
	if err != nil {
		t.Fatalf("%s: no reply from the bridge: %v\n%s", req["op"], err, tail(k.stderr.String(), 4000))
	}
	var berr struct {
		BridgeError string `json:"bridge_error"`
	}
	if json.Unmarshal(line, &berr) == nil && berr.BridgeError != "" {
		t.Fatalf("%s: %s\n%s", req["op"], berr.BridgeError, tail(k.stderr.String(), 4000))
	}
	if err := json.Unmarshal(line, resp); err != nil {
		t.Fatalf("%s: reply %q: %v", req["op"], tail(string(line), 500), err)
	}
}

// liveOutput is one iopub message of an execution.
type liveOutput struct {
	MsgType string `json:"msg_type"`
	Content struct {
		Name   string                     `json:"name"`
		Text   string                     `json:"text"`
		Data   map[string]json.RawMessage `json:"data"`
		EName  string                     `json:"ename"`
		EValue string                     `json:"evalue"`
	} `json:"content"`
}

type liveExecution struct {
	Reply struct {
		Status string `json:"status"`
		EName  string `json:"ename"`
		EValue string `json:"evalue"`
	} `json:"reply"`
	Outputs []liveOutput `json:"outputs"`
}

// text is everything the execution printed or showed as text or HTML.
func (e liveExecution) text() string {
	var b strings.Builder
	for _, o := range e.Outputs {
		b.WriteString(o.Content.Text)
		for _, mime := range []string{"text/plain", "text/html", "text/markdown"} {
			var s string
			if json.Unmarshal(o.Content.Data[mime], &s) == nil {
				b.WriteString(s)
			}
		}
		b.WriteString(o.Content.EValue)
	}
	return b.String()
}

func (k *liveKernel) execute(t *testing.T, code string) liveExecution {
	t.Helper()
	var e liveExecution
	start := time.Now()
	k.call(t, map[string]any{"op": "execute", "code": code, "timeout": 600}, &e)
	t.Logf("cell ran in %.1fs: %s", time.Since(start).Seconds(), firstLine(code))
	return e
}

type kernelInfo struct {
	Implementation string         `json:"implementation"`
	LanguageInfo   map[string]any `json:"language_info"`
}

type completeReply struct {
	Status      string   `json:"status"`
	Matches     []string `json:"matches"`
	CursorStart int      `json:"cursor_start"`
	CursorEnd   int      `json:"cursor_end"`
}

type inspectReply struct {
	Status string            `json:"status"`
	Found  bool              `json:"found"`
	Data   map[string]string `json:"data"`
}

// cursorAt is the Jupyter cursor position (in Unicode code points, protocol 5.2+)
// just after the first occurrence of mark in code.
func cursorAt(t *testing.T, code, mark string) int {
	t.Helper()
	i := strings.Index(code, mark)
	if i < 0 {
		t.Fatalf("%q not in %q", mark, code)
	}
	return len([]rune(code[:i+len(mark)]))
}

const (
	liveFigureCell = `import (
	"fmt"

	"github.com/ifprobe/ifprobe/kernel/nb"
	ifplot "github.com/ifprobe/ifprobe/pkg/plot"
)

%%
fig, err := ifplot.Lines(ifplot.LinesSpec{Name: "live", Title: "live kernel",
	Series: []ifplot.Series{{Label: "y = x", X: []float64{0, 1, 2}, Y: []float64{0, 1, 2}}}})
if err != nil {
	panic(err)
}
if err := nb.Figure(fig); err != nil {
	panic(err)
}
fmt.Println("figure sent")
`
	liveCompileErrorCell = "%%\nx := undefinedThing\n"
	livePanicCell        = "%%\npanic(\"boom from the live test\")\n"
	liveAfterCell        = "%%\nfmt.Println(\"still alive\")\n"
)

// TestLiveKernel drives the installed kernelspec as JupyterLab does (jupyter_client's
// KernelManager, the shell and iopub channels): a cell that shows a figure, a cell
// that does not compile, a cell that panics, then a cell that must still run; then
// completion and documentation from gopls. Under CI=true a missing Jupyter or
// kernel fails the test.
func TestLiveKernel(t *testing.T) {
	opts := requireKernel(t)
	start := time.Now()
	k := startLiveKernel(t, opts)

	var info kernelInfo
	k.call(t, map[string]any{"op": "info"}, &info)
	if info.Implementation != "gonb" || info.LanguageInfo["name"] != "go" {
		t.Fatalf("kernel_info: implementation %q, language_info %v; want gonb and go", info.Implementation, info.LanguageInfo)
	}
	t.Logf("kernel ready in %.1fs", time.Since(start).Seconds())

	t.Run("figure", func(t *testing.T) {
		e := k.execute(t, liveFigureCell)
		if e.Reply.Status != "ok" {
			t.Fatalf("status %q (%s: %s)\n%s", e.Reply.Status, e.Reply.EName, e.Reply.EValue, tail(e.text(), 3000))
		}
		pngs := 0
		for _, o := range e.Outputs {
			raw, ok := o.Content.Data["image/png"]
			if o.MsgType != "display_data" || !ok {
				continue
			}
			var b64 string
			if err := json.Unmarshal(raw, &b64); err != nil {
				t.Fatalf("image/png is not a string: %v", err)
			}
			data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
			if err != nil {
				t.Fatalf("image/png is not base64: %v", err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(data))
			if err != nil || cfg.Width < 100 || cfg.Height < 100 {
				t.Fatalf("image/png: %dx%d, %v; want a decodable figure", cfg.Width, cfg.Height, err)
			}
			if _, ok := o.Content.Data["image/svg+xml"]; !ok {
				t.Errorf("the figure's display_data has no image/svg+xml beside the PNG")
			}
			pngs++
		}
		if pngs != 1 || !strings.Contains(e.text(), "figure sent") {
			t.Errorf("%d display_data with image/png (want 1); printed %q", pngs, e.text())
		}
	})

	// Both failures are an execute_reply with status "error" and an iopub "error"
	// message (what JupyterLab shows in red), with the compiler's or the panic's words.
	for _, c := range []struct {
		name, code, want string
	}{
		{"compile-error", liveCompileErrorCell, "undefined: undefinedThing"},
		{"panic", livePanicCell, "panic: boom from the live test"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := k.execute(t, c.code)
			if e.Reply.Status != "error" {
				t.Errorf("status %q, want error", e.Reply.Status)
			}
			errMsgs := 0
			for _, o := range e.Outputs {
				if o.MsgType == "error" {
					errMsgs++
				}
			}
			if errMsgs != 1 {
				t.Errorf("%d iopub error messages, want 1", errMsgs)
			}
			if !strings.Contains(e.text(), c.want) {
				t.Errorf("outputs do not say %q:\n%s", c.want, tail(e.text(), 3000))
			}
		})
	}

	t.Run("alive-after-errors", func(t *testing.T) {
		var alive struct{ Alive bool }
		k.call(t, map[string]any{"op": "alive"}, &alive)
		if !alive.Alive {
			t.Fatalf("the kernel died after the failing cells")
		}
		e := k.execute(t, liveAfterCell)
		if e.Reply.Status != "ok" || !strings.Contains(e.text(), "still alive") {
			t.Errorf("the next cell: status %q, printed %q", e.Reply.Status, e.text())
		}
	})

	// gopls (installed by 30-gonb.sh) answers completion and inspection; without it
	// gonb replies "ok" with no matches and no documentation.
	t.Run("complete", func(t *testing.T) {
		for _, c := range []struct {
			code, mark, want string
		}{
			{"import \"fmt\"\n\n%%\nfmt.Pri", "fmt.Pri", "Println"},
			// A package of the checkout, through the kernel's go.work.
			{"import \"github.com/ifprobe/ifprobe/kernel/nb\"\n\n%%\nnb.Figu", "nb.Figu", "Figure"},
		} {
			// gonb starts gopls in the background with the kernel, and answers
			// "error" or nothing until gopls has loaded the workspace (seconds on a
			// quiet machine, a minute on a loaded one): ask again until it answers.
			var r completeReply
			start, tries := time.Now(), 0
			for {
				r, tries = completeReply{}, tries+1
				k.call(t, map[string]any{"op": "complete", "code": c.code, "cursor": cursorAt(t, c.code, c.mark)}, &r)
				if (r.Status == "ok" && len(r.Matches) > 0) || time.Since(start) > 3*time.Minute {
					break
				}
				time.Sleep(2 * time.Second)
			}
			t.Logf("complete %q in %.1fs (%d requests): %v", c.mark, time.Since(start).Seconds(), tries, r.Matches)
			if r.Status != "ok" || !slices.Contains(r.Matches, c.want) {
				t.Errorf("complete %q: status %q, matches %v; want %q among them (is gopls on the kernel's PATH?)", c.mark, r.Status, r.Matches, c.want)
			}
			if r.CursorEnd-r.CursorStart != len(c.mark)-strings.Index(c.mark, ".")-1 {
				t.Errorf("complete %q replaces [%d, %d), want the identifier after the dot", c.mark, r.CursorStart, r.CursorEnd)
			}
		}
	})

	t.Run("inspect", func(t *testing.T) {
		code := "import \"fmt\"\n\n%%\nfmt.Println(\"x\")"
		var r inspectReply
		k.call(t, map[string]any{"op": "inspect", "code": code, "cursor": cursorAt(t, code, "fmt.Print")}, &r)
		md := r.Data["text/markdown"]
		if r.Status != "ok" || !r.Found || !strings.Contains(md, "func fmt.Println") || !strings.Contains(md, "standard output") {
			t.Errorf("inspect fmt.Println: status %q, found %v, docs %q; want the signature and its doc comment", r.Status, r.Found, md)
		}
	})

	// The committed notebooks are in the form JupyterLab saves them: the language_info
	// of this kernel's kernel_info reply (JupyterLab writes it into the metadata when
	// it opens a notebook, and a difference marks the notebook modified) and
	// nbformat's JSON layout, checked by scripts/notebooks-canonical.py.
	t.Run("notebooks-canonical", func(t *testing.T) {
		paths, err := List(filepath.Join(opts.Root, "notebooks"))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(info.LanguageInfo) // sorted keys: equal maps, equal text
		for _, p := range paths {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var nbk struct {
				Metadata struct {
					LanguageInfo map[string]any `json:"language_info"`
				} `json:"metadata"`
			}
			if err := json.Unmarshal(raw, &nbk); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if got, _ := json.Marshal(nbk.Metadata.LanguageInfo); !bytes.Equal(got, want) {
				t.Errorf("%s: metadata.language_info = %s, the kernel says %s", filepath.Base(p), got, want)
			}
		}
		o, _ := opts.withDefaults()
		cmd := exec.Command(o.Python, append([]string{filepath.Join(opts.Root, "scripts", "notebooks-canonical.py"),
			"--check", "--language-info", string(want)}, paths...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("notebooks not in the form JupyterLab saves: %v\n%s", err, out)
		}
	})
	t.Logf("live-kernel test: %.1fs", time.Since(start).Seconds())
}
