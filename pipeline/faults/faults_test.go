package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ifprobe/ifprobe/internal/faultinject"
	"github.com/ifprobe/ifprobe/pipeline"
	"github.com/ifprobe/ifprobe/pkg/acts"
	"github.com/ifprobe/ifprobe/pkg/compute"
	"github.com/ifprobe/ifprobe/pkg/hook"
	"github.com/ifprobe/ifprobe/pkg/registry/registrytest"
)

const model = "smollm2-135m-instruct"

// Environment of a child run: childEnv is its run folder, faultEnv its fault
// ("count", "kill:STAGE:BYTE", "nospace:STAGE:BYTE" or empty).
const (
	childEnv = "IFPROBE_FAULTS_CHILD"
	faultEnv = "IFPROBE_FAULTS_FAULT"
)

// stages are the pipeline's stages in order, as the child recognises them in the
// run's log.
var stages = []string{"dataset", "grid", "findings", "report"}

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(child(dir, os.Getenv(faultEnv)))
	}
	os.Exit(m.Run())
}

// profile is the small study the suite runs: three tasks, 18 items in batches of
// 2 (shards of 8, 8 and 2 rows), responses of up to 6 tokens, probes at prompt_last
// (which every response has), no behaviour generation.
func profile() pipeline.Profile {
	return pipeline.Profile{Name: "faults", Tasks: []string{"lowercase", "word_limit", "sentiment"}, PerTask: 6,
		MaxTokens: 6, Batch: 2, ShardRows: 8, Fractions: []float64{1}, Space: []string{"word_limit.n=10:35"},
		Position: hook.PromptLast, Folds: 2, BootstrapReps: 20}
}

// child runs the study into dir with the fault armed when its stage begins, and
// exits 0 when the run finished, 3 when a signal stopped it, 1 on an error.
func child(dir, fault string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b, _, err := compute.Open("") // the default backend, as reproduce uses it
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log := &stageLog{}
	if fault == "count" {
		faultinject.Arm(faultinject.Count, 0)
	} else if fault != "" {
		f := strings.Split(fault, ":")
		log.armStage = f[1]
		log.armAt, _ = strconv.ParseInt(f[2], 10, 64)
		log.armMode = map[string]faultinject.Mode{"kill": faultinject.Kill, "nospace": faultinject.NoSpace}[f[0]]
	}
	_, err = pipeline.Run(ctx, pipeline.Config{Models: []string{model}, Profile: profile(), Out: dir, Seed: 3, Backend: b, Log: log})
	log.enter("end")
	switch {
	case err == nil:
		return 0
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "interrupted:", err)
		return 3
	default:
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
}

// stageLog receives the run's log lines, echoes them, follows the stage, arms the
// fault when its stage begins and, counting, prints the bytes written so far at
// each stage's start.
type stageLog struct {
	stage    string
	armStage string
	armMode  faultinject.Mode
	armAt    int64
	buf      []byte
}

func (l *stageLog) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(l.buf[:i])
		l.buf = l.buf[i+1:]
		fmt.Fprintln(os.Stderr, "log:", line)
		switch {
		case strings.Contains(line, ": dataset ("):
			l.enter("dataset")
		case strings.Contains(line, ": probe grid"):
			l.enter("grid")
		case strings.HasPrefix(line, "report"):
			l.enter("report")
		case l.stage == "grid" && !strings.Contains(line, " failed: "):
			l.enter("findings")
		}
	}
}

func (l *stageLog) enter(stage string) {
	l.stage = stage
	fmt.Fprintf(os.Stderr, "stage %s bytes %d\n", stage, faultinject.Written())
	if stage == l.armStage {
		faultinject.Arm(l.armMode, l.armAt)
		fmt.Fprintf(os.Stderr, "armed at byte %d of %s\n", l.armAt, stage)
	}
}

// outcome is how a child run ended.
type outcome struct {
	code   int    // exit status; -1 when killed by a signal
	signal string // the signal that killed it
	stage  string // the last stage of the run it entered (where a fault struck)
	bytes  map[string]int64
	stderr string
}

// runChild runs the study into dir with fault; with interruptIn set, it sends
// SIGINT after that stage has begun (after delay).
func runChild(t *testing.T, dir, fault, interruptIn string, delay time.Duration) outcome {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir, faultEnv+"="+fault)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	o := outcome{bytes: map[string]int64{}}
	var all strings.Builder
	sc := bufio.NewScanner(stderr)
	sc.Buffer(nil, 1<<20)
	var marks []struct {
		stage string
		at    int64
	}
	for sc.Scan() {
		line := sc.Text()
		all.WriteString(line + "\n")
		var st string
		var n int64
		if _, err := fmt.Sscanf(line, "stage %s bytes %d", &st, &n); err == nil {
			if st != "end" { // the child enters "end" when the run returns, whatever stopped it
				o.stage = st
			}
			marks = append(marks, struct {
				stage string
				at    int64
			}{st, n})
			if st == interruptIn {
				go func() { time.Sleep(delay); cmd.Process.Signal(os.Interrupt) }()
			}
		}
	}
	err = cmd.Wait()
	o.stderr = all.String()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		o.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			o.signal = ws.Signal().String()
		}
	default:
		t.Fatal(err)
	}
	for i := 0; i+1 < len(marks); i++ {
		o.bytes[marks[i].stage] += marks[i+1].at - marks[i].at
	}
	return o
}

// tally is what the suite did, for RELIABILITY.md.
type tally struct {
	Seed        uint64           `json:"seed"`
	Rounds      int              `json:"rounds"`
	Kills       int              `json:"kills"`
	NoSpace     int              `json:"enospc"`
	Interrupts  int              `json:"sigint"`
	Corruptions int              `json:"damaged_shards"`
	Reruns      int              `json:"reruns"`
	StruckIn    map[string]int   `json:"struck_in"`   // faults per stage they struck in
	StageBytes  map[string]int64 `json:"stage_bytes"` // bytes each stage of the undisturbed run writes
	Compared    int              `json:"files_compared"`
	Lost        int              `json:"files_lost"`
	Different   int              `json:"files_different"`
}

// TestFaults disturbs a run at every stage, again and again, and requires the
// results of an undisturbed run; then it damages the activation store.
func TestFaults(t *testing.T) {
	registrytest.Model(t, model)
	seed := uint64(1)
	if s := os.Getenv("IFPROBE_FAULTS_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	rng := rand.New(rand.NewPCG(seed, 2026))
	tl := tally{Seed: seed, StruckIn: map[string]int{}}

	ref := filepath.Join(t.TempDir(), "ref")
	o := runChild(t, ref, "count", "", 0)
	if o.code != 0 {
		t.Fatalf("reference run: exit %d\n%s", o.code, o.stderr)
	}
	tl.StageBytes = o.bytes
	for _, st := range stages {
		if o.bytes[st] == 0 {
			t.Fatalf("reference run: stage %s wrote nothing (bytes %v)\n%s", st, o.bytes, o.stderr)
		}
	}
	t.Logf("reference run: bytes written per stage %v", o.bytes)

	// Each round disturbs a fresh run at other seeded points; test.sh runs one
	// (IFPROBE_FAULTS_ROUNDS asks for more).
	rounds := 1
	if s := os.Getenv("IFPROBE_FAULTS_ROUNDS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			rounds = n
		} else {
			t.Fatalf("IFPROBE_FAULTS_ROUNDS=%q: want a positive count", s)
		}
	}
	tl.Rounds = rounds
	var dir string
	for round := range rounds {
		dir = filepath.Join(t.TempDir(), fmt.Sprintf("run%d", round))
		for _, st := range stages {
			// A kill at a random byte of the stage, the first time it runs.
			k := rng.Int64N(o.bytes[st])
			r := runChild(t, dir, fmt.Sprintf("kill:%s:%d", st, k), "", 0)
			if r.signal != syscall.SIGKILL.String() {
				t.Fatalf("kill at byte %d of %s: exit %d signal %q\n%s", k, st, r.code, r.signal, r.stderr)
			}
			tl.Kills++
			tl.StruckIn[r.stage]++
			if st == "grid" { // SIGINT while the resumed grid runs: it stops at a layer
				r := runChild(t, dir, "", "grid", time.Duration(rng.IntN(300))*time.Millisecond)
				if r.code != 3 && r.code != 0 {
					t.Fatalf("SIGINT in the grid: exit %d, want 3 (or 0 if it finished first)\n%s", r.code, r.stderr)
				}
				if r.code == 3 {
					tl.Interrupts++
					tl.StruckIn[r.stage]++
				}
			}
			// The disk fills up a few hundred bytes into the resumed stage.
			k = rng.Int64N(512)
			r = runChild(t, dir, fmt.Sprintf("nospace:%s:%d", st, k), "", 0)
			if r.code != 1 || !strings.Contains(r.stderr, "no space left on device") {
				t.Fatalf("ENOSPC at byte %d of %s: exit %d\n%s", k, st, r.code, r.stderr)
			}
			tl.NoSpace++
			tl.StruckIn[r.stage]++
		}
		if r := runChild(t, dir, "", "", 0); r.code != 0 {
			t.Fatalf("final rerun: exit %d\n%s", r.code, r.stderr)
		}
		compareRuns(t, ref, dir, &tl)
	}
	tl.Reruns = tl.Kills + tl.NoSpace + tl.Interrupts

	// Damage the store: a flipped byte in one shard, another truncated; delete the
	// stages after the dataset. The rerun repairs the store and recomputes them.
	shards, _ := filepath.Glob(filepath.Join(dir, model, "data", "acts", acts.ShardDir, "*.safetensors"))
	if len(shards) < 2 {
		t.Fatalf("%d shards, want at least 2", len(shards))
	}
	b, _ := os.ReadFile(shards[len(shards)-2])
	b[len(b)-9] ^= 0x20
	os.WriteFile(shards[len(shards)-2], b, 0o644)
	os.Truncate(shards[len(shards)-1], 100)
	tl.Corruptions += 2
	entries, _ := os.ReadDir(filepath.Join(dir, model))
	for _, e := range entries {
		if e.Name() != "data" {
			os.RemoveAll(filepath.Join(dir, model, e.Name()))
		}
	}
	r := runChild(t, dir, "", "", 0)
	if r.code != 0 || !strings.Contains(r.stderr, "was damaged") {
		t.Fatalf("rerun over a damaged store: exit %d, repair reported: %v\n%s", r.code, strings.Contains(r.stderr, "was damaged"), r.stderr)
	}
	tl.Reruns++
	compareRuns(t, ref, dir, &tl)
	js, _ := json.MarshalIndent(tl, "", " ")
	t.Logf("fault-injection tally:\n%s", js)
	if p := os.Getenv("IFPROBE_FAULTS_TALLY"); p != "" {
		os.WriteFile(p, js, 0o644)
	}
}

// compareRuns fails unless the run in got holds every result file of the run in
// ref, equal to it: byte for byte, except the report's timings and the activation
// store, compared by content (its shard boundaries depend on where a run stopped).
func compareRuns(t *testing.T, ref, got string, tl *tally) {
	t.Helper()
	want := resultFiles(t, ref)
	have := resultFiles(t, got)
	for _, f := range have {
		if !slices.Contains(want, f) {
			t.Errorf("%s: not in the undisturbed run", f)
		}
	}
	for _, f := range want {
		tl.Compared++
		a, _ := os.ReadFile(filepath.Join(ref, f))
		b, err := os.ReadFile(filepath.Join(got, f))
		if err != nil {
			tl.Lost++
			t.Errorf("%s: missing after the faults (%v)", f, err)
			continue
		}
		// The run folders' own paths (in the report's configuration) are not results.
		a, b = bytes.ReplaceAll(a, []byte(ref), []byte("OUT")), bytes.ReplaceAll(b, []byte(got), []byte("OUT"))
		if strings.HasPrefix(filepath.Base(f), "report.") {
			a, b = timeless(a), timeless(b)
		}
		if !bytes.Equal(a, b) {
			tl.Different++
			t.Errorf("%s differs from the undisturbed run: %s", f, firstDiff(a, b))
		}
	}
	sameStore(t, filepath.Join(ref, model, "data", "acts"), filepath.Join(got, model, "data", "acts"), tl)
}

// resultFiles lists the run's files, relative, leaving out the activation store
// (compared by content), the lock and completion records; a temporary file left
// behind is listed, and so fails the comparison.
func resultFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if d.Name() == ".stages" || rel == filepath.Join(model, "data", "acts") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == ".run.lock" {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// firstDiff says where a and b first differ: the line, in each.
func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	clip := func(s string) string {
		if len(s) > 300 {
			return s[:300] + "..."
		}
		return s
	}
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d\n  undisturbed: %s\n  after faults: %s", i+1, clip(x), clip(y))
		}
	}
	return "same lines"
}

var took = regexp.MustCompile(`Took [^()]*\([^)]*\)\.`)

// timeless removes what differs between two runs of the same study: when it ran
// and how long each stage took.
func timeless(b []byte) []byte {
	s := html.UnescapeString(string(b))
	s = took.ReplaceAllString(s, "")
	if strings.HasPrefix(strings.TrimSpace(s), "{") { // report.json
		var v map[string]any
		if json.Unmarshal([]byte(s), &v) == nil {
			delete(v, "started")
			delete(v, "finished")
			delete(v, "versions")
			if ms, ok := v["models"].([]any); ok {
				for _, m := range ms {
					if mm, ok := m.(map[string]any); ok {
						delete(mm, "timings_s")
					}
				}
			}
			out, _ := json.Marshal(v)
			return out
		}
	}
	for _, key := range []string{`"timings_s": {`, `"versions": {`} {
		for i := strings.Index(s, key); i >= 0; i = strings.Index(s, key) {
			j, depth := i+len(key), 1
			for ; j < len(s) && depth > 0; j++ {
				switch s[j] {
				case '{':
					depth++
				case '}':
					depth--
				}
			}
			s = s[:i] + s[j:]
		}
	}
	return []byte(s)
}

// sameStore fails unless the stores hold the same examples, in order, with equal
// values at every key.
func sameStore(t *testing.T, ref, got string, tl *tally) {
	t.Helper()
	a, err := acts.Open(ref)
	if err != nil {
		t.Fatal(err)
	}
	b, err := acts.Open(got)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(); err != nil {
		t.Fatalf("store after the faults: %v", err)
	}
	ea, eb := a.Examples(), b.Examples()
	strip := func(es []acts.Example) []acts.Example {
		out := slices.Clone(es)
		for i := range out {
			out[i].Shard, out[i].Row = 0, 0
		}
		return out
	}
	if !slices.Equal(strip(ea), strip(eb)) {
		tl.Different++
		t.Errorf("store: %d examples, want %d, or other records", len(eb), len(ea))
		return
	}
	for _, k := range a.Keys() {
		tl.Compared++
		x, err1 := a.Get(k.Point, k.Position)
		y, err2 := b.Get(k.Point, k.Position)
		if err1 != nil || err2 != nil || !slices.Equal(x.Data, y.Data) {
			tl.Different++
			t.Errorf("store: %s differs (%v, %v)", k, err1, err2)
		}
	}
}

var _ io.Writer = (*stageLog)(nil)
